//! Draws a [`TrayModel`] as the tray's menu (muda) and icon (tray-icon). What a pick does is
//! `actions`'s part.

use dockside_desktop::model::{Mode, STATE_NEEDS_SIGN_IN};
use dockside_desktop::tray_model::{
    mode_id, mode_label, production_label, restart_id, server_label, sign_in_id, update_item,
    TrayModel, TrayStatus, MENU_AUTOSTART, MENU_KEEP, MENU_OPEN, MENU_PAUSE, MENU_PRODUCTION,
    MENU_QUIT,
};
use tray_icon::menu::{CheckMenuItem, IsMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tray_icon::{Icon, TrayIcon, TrayIconBuilder};

/// The tray icon's id (tray-icon names its indicator after it: "tray-icon tray app dockside").
pub const TRAY_ID: &str = "dockside";

pub fn icon(status: TrayStatus) -> Icon {
    let (rgba, width, height) = status.rgba();
    Icon::from_rgba(rgba, width, height).expect("embedded tray icons are square RGBA (see tests)")
}

/// Creates the tray icon showing `model`.
pub fn build(model: &TrayModel) -> tray_icon::Result<TrayIcon> {
    TrayIconBuilder::new()
        .with_id(TRAY_ID)
        .with_icon(icon(model.status))
        .with_icon_as_template(cfg!(target_os = "macos"))
        .with_tooltip(model.status.tooltip())
        .with_menu(Box::new(build_menu(model).map_err(menu_error)?))
        // Windows convention: left click opens the dashboard, right click the menu. Elsewhere
        // any click opens the menu (Linux tray hosts do not report clicks at all).
        .with_menu_on_left_click(!cfg!(target_os = "windows"))
        .build()
}

/// Shows `model` on the tray icon: a new menu, icon and tooltip.
pub fn update(tray: &TrayIcon, model: &TrayModel) -> tray_icon::Result<()> {
    tray.set_menu(Some(Box::new(build_menu(model).map_err(menu_error)?)));
    tray.set_icon_with_as_template(Some(icon(model.status)), cfg!(target_os = "macos"))?;
    tray.set_tooltip(Some(model.status.tooltip()))
}

fn menu_error(err: tray_icon::menu::Error) -> tray_icon::Error {
    tray_icon::Error::OsError(std::io::Error::other(err))
}

fn build_menu(model: &TrayModel) -> Result<Menu, tray_icon::menu::Error> {
    let menu = Menu::new();
    for server in &model.servers {
        let mut items: Vec<Box<dyn IsMenuItem>> = Vec::new();
        for mode in Mode::ALL {
            items.push(Box::new(CheckMenuItem::with_id(
                mode_id(&server.name, mode),
                mode_label(mode),
                server.modes.contains(&mode) || server.mode == mode,
                server.mode == mode,
                None,
            )));
        }
        items.push(Box::new(PredefinedMenuItem::separator()));
        items.push(Box::new(MenuItem::with_id(
            format!("state/{}", server.name),
            format!("State: {}", server.state),
            false,
            None,
        )));
        if server.state == STATE_NEEDS_SIGN_IN {
            items.push(Box::new(MenuItem::with_id(
                sign_in_id(&server.name),
                "Sign in…",
                true,
                None,
            )));
        }
        items.push(Box::new(MenuItem::with_id(
            restart_id(&server.name),
            "Restart",
            server.gateway,
            None,
        )));
        let refs: Vec<&dyn IsMenuItem> = items.iter().map(|i| i.as_ref()).collect();
        menu.append(&Submenu::with_items(server_label(server), true, &refs)?)?;
    }
    if model.servers.is_empty() {
        menu.append(&MenuItem::with_id(
            "no-servers",
            "No servers yet",
            false,
            None,
        ))?;
    }
    let (update_id, update_label) = update_item(model);
    menu.append_items(&[
        &PredefinedMenuItem::separator(),
        &MenuItem::with_id(MENU_PRODUCTION, production_label(model), true, None),
        &MenuItem::with_id(MENU_OPEN, "Open Dashboard", true, None),
        &PredefinedMenuItem::separator(),
        &CheckMenuItem::with_id(MENU_PAUSE, "Pause gateway", true, model.paused, None),
        &CheckMenuItem::with_id(
            MENU_KEEP,
            "Keep gateway running after quit",
            true,
            model.keep_running,
            None,
        ),
        &CheckMenuItem::with_id(
            MENU_AUTOSTART,
            "Start at login",
            true,
            model.autostart,
            None,
        ),
        &PredefinedMenuItem::separator(),
        &MenuItem::with_id(update_id, update_label, true, None),
        &MenuItem::with_id(MENU_QUIT, "Quit Dockside", true, None),
    ])?;
    Ok(menu)
}

#[cfg(test)]
mod tests {
    use dockside_desktop::tray_model::TrayServer;

    use super::*;

    #[test]
    fn every_status_makes_an_icon() {
        for status in TrayStatus::ALL {
            let _ = icon(status);
        }
    }

    /// The menu's top level, in order: what the tray e2e test's key presses count on.
    #[test]
    fn the_menu_lists_servers_then_the_fixed_items() {
        let model = TrayModel {
            servers: vec![TrayServer {
                name: "demo".into(),
                mode: Mode::Managed,
                state: "running".into(),
                modes: Mode::ALL.to_vec(),
                gateway: true,
            }],
            ..TrayModel::default()
        };
        let menu = build_menu(&model).unwrap();
        let labels: Vec<String> = menu
            .items()
            .iter()
            .map(|item| match item {
                tray_icon::menu::MenuItemKind::Submenu(s) => format!("▸ {}", s.text()),
                tray_icon::menu::MenuItemKind::MenuItem(i) => i.text(),
                tray_icon::menu::MenuItemKind::Check(c) => format!("☐ {}", c.text()),
                tray_icon::menu::MenuItemKind::Predefined(_) => "──".into(),
                tray_icon::menu::MenuItemKind::Icon(i) => i.text(),
            })
            .collect();
        assert_eq!(
            labels,
            [
                "▸ demo — running",
                "──",
                "Switch to production…",
                "Open Dashboard",
                "──",
                "☐ Pause gateway",
                "☐ Keep gateway running after quit",
                "☐ Start at login",
                "──",
                "Check for updates…",
                "Quit Dockside",
            ]
        );
    }
}
