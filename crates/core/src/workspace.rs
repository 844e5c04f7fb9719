//! Everything Dockside knows, loaded together: all catalogs of a [`Home`] and its state.
//!
//! Commands follow one pattern: [`Workspace::load`] (fails on any file that does not parse, listing all
//! of them), change the model in memory, [`Workspace::save`]. `save` validates the whole result first
//! and writes nothing if anything is wrong, then rewrites, atomically, only the files that changed, so
//! an untouched catalog keeps its bytes (comments included). A file that changed on disk since it was
//! read (the tray app and the CLI saving at once) stops the save before anything is written, instead
//! of silently losing the other change. Long-running readers (the gateway) use [`Workspace::open`],
//! which also validates.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;

use crate::catalog::{self, Catalog, CatalogFile, Server};
use crate::error::check_name;
use crate::home::Home;
use crate::launch::{self, Launch};
use crate::state::{Mode, ServerState, State};
use crate::{atomic, validate, yaml, Error, Issue};

#[derive(Debug, Clone)]
pub struct Workspace {
    home: Home,
    catalogs: Vec<CatalogFile>,
    state: State,
    /// Ids of catalogs changed since loading.
    dirty: Vec<String>,
    state_dirty: bool,
    /// What each file held when read (`None`: it did not exist); a save expects it unchanged.
    on_disk: HashMap<PathBuf, Option<String>>,
}

/// A server with where it is defined and how it is run.
#[derive(Debug, Clone)]
pub struct ServerEntry<'a> {
    pub name: &'a str,
    pub catalog: &'a CatalogFile,
    pub server: &'a Server,
    pub state: Cow<'a, ServerState>,
}

impl Workspace {
    /// Reads every `catalogs/*.yaml` and `state.yaml` (both may be missing); any parse error fails.
    pub fn load(home: Home) -> Result<Self, Error> {
        let mut issues = Vec::new();
        let catalogs = catalog::load_dir(&home.catalogs_dir(), &mut issues)?;
        let state_path = home.state_path();
        let state_text = yaml::read_optional(&state_path)?;
        let state = match &state_text {
            Some(text) => yaml::parse_or_collect(text, &state_path, &mut issues),
            None => State::default(),
        };
        if !issues.is_empty() {
            return Err(Error::Invalid(issues));
        }
        let mut on_disk: HashMap<PathBuf, Option<String>> = catalogs
            .iter()
            .map(|f| (f.path.clone(), f.source().map(str::to_owned)))
            .collect();
        on_disk.insert(state_path, state_text);
        Ok(Self {
            home,
            catalogs,
            state,
            dirty: Vec::new(),
            state_dirty: false,
            on_disk,
        })
    }

    /// [`load`](Self::load), then [`validate`](Self::validate).
    pub fn open(home: Home) -> Result<Self, Error> {
        let workspace = Self::load(home)?;
        workspace.validate()?;
        Ok(workspace)
    }

    /// Every problem across catalogs and state.
    pub fn validate(&self) -> Result<(), Error> {
        let issues = validate::check(&self.catalogs, &self.state, &self.home.state_path());
        if issues.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(issues))
        }
    }

    /// Validates, then writes the changed files. Nothing is written if anything is invalid or if a
    /// file to write changed on disk since it was read ([`Error::Changed`]).
    pub fn save(&mut self) -> Result<(), Error> {
        self.save_undoable().map(drop)
    }

    /// [`Workspace::save`], returning what the written files held before, to put back.
    pub fn save_undoable(&mut self) -> Result<Undo, Error> {
        self.validate()?;
        let mut writes = Vec::new();
        for file in self.catalogs.iter().filter(|f| self.dirty.contains(&f.id)) {
            writes.push((file.path.clone(), file.to_yaml()?));
        }
        if self.state_dirty {
            let path = self.home.state_path();
            writes.push((path.clone(), yaml::to_string(&self.state, None, &path)?));
        }
        for (path, _) in &writes {
            let expected = self.on_disk.get(path).cloned().flatten();
            if yaml::read_optional(path)? != expected {
                return Err(Error::Changed(path.clone()));
            }
        }
        let mut undo = Undo(Vec::new());
        for (path, text) in writes {
            atomic::write(&path, text.as_bytes())?;
            let before = self.on_disk.insert(path.clone(), Some(text)).flatten();
            undo.0.push((path, before));
        }
        self.dirty.clear();
        self.state_dirty = false;
        Ok(undo)
    }

    pub fn home(&self) -> &Home {
        &self.home
    }

    pub fn catalogs(&self) -> &[CatalogFile] {
        &self.catalogs
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// The state, to change (marks it for saving).
    pub fn state_mut(&mut self) -> &mut State {
        self.state_dirty = true;
        &mut self.state
    }

    /// Catalog `id`, created (as `<home>/catalogs/<id>.yaml`) if missing; marks it for saving.
    pub fn catalog_mut(&mut self, id: &str) -> Result<&mut Catalog, Error> {
        check_name("catalog", id)?;
        let index = match self.catalogs.iter().position(|f| f.id == id) {
            Some(index) => index,
            None => {
                let path = self.home.catalog_path(id);
                self.catalogs
                    .push(CatalogFile::new(id, path, Catalog::default()));
                self.catalogs.len() - 1
            }
        };
        mark(&mut self.dirty, id);
        Ok(&mut self.catalogs[index].catalog)
    }

    /// Adds a whole catalog file (moved to this home), keeping its key order; fails if `id` exists.
    pub fn insert_catalog(&mut self, mut file: CatalogFile) -> Result<(), Error> {
        check_name("catalog", &file.id)?;
        if self.catalogs.iter().any(|f| f.id == file.id) {
            return Err(Error::Invalid(vec![Issue::new(
                &file.path,
                format!("catalog `{}` already exists", file.id),
            )]));
        }
        file.path = self.home.catalog_path(&file.id);
        mark(&mut self.dirty, &file.id);
        self.catalogs.push(file);
        Ok(())
    }

    /// All servers, in catalog order.
    pub fn servers(&self) -> impl Iterator<Item = ServerEntry<'_>> {
        self.catalogs.iter().flat_map(move |catalog| {
            catalog
                .catalog
                .registry
                .iter()
                .map(move |(name, server)| ServerEntry {
                    name,
                    catalog,
                    server,
                    state: self
                        .state
                        .servers
                        .get(name)
                        .map_or_else(|| Cow::Owned(ServerState::default()), Cow::Borrowed),
                })
        })
    }

    pub fn server(&self, name: &str) -> Option<ServerEntry<'_>> {
        self.servers().find(|entry| entry.name == name)
    }

    /// Server `name`, to change (marks its catalog for saving).
    pub fn server_mut(&mut self, name: &str) -> Result<&mut Server, Error> {
        let index = self.locate(name)?;
        let file = &mut self.catalogs[index];
        mark(&mut self.dirty, &file.id);
        file.catalog
            .registry
            .get_mut(name)
            .ok_or_else(|| Error::UnknownServer(name.to_owned()))
    }

    /// Adds a new server to catalog `catalog`; fails if the name is taken anywhere.
    pub fn add_server(&mut self, catalog: &str, name: &str, server: Server) -> Result<(), Error> {
        check_name("server", name)?;
        if let Some(existing) = self.server(name) {
            return Err(Error::ServerExists {
                name: name.to_owned(),
                catalog: existing.catalog.id.clone(),
            });
        }
        self.catalog_mut(catalog)?
            .registry
            .insert(name.to_owned(), server);
        Ok(())
    }

    /// Removes a server from its catalog and the state.
    pub fn remove_server(&mut self, name: &str) -> Result<Server, Error> {
        let index = self.locate(name)?;
        let file = &mut self.catalogs[index];
        mark(&mut self.dirty, &file.id);
        let server = file
            .catalog
            .registry
            .shift_remove(name)
            .ok_or_else(|| Error::UnknownServer(name.to_owned()))?;
        if self.state.servers.contains_key(name) {
            self.state_mut().servers.shift_remove(name);
        }
        Ok(server)
    }

    /// Sets the mode of `name`, refusing a mode it cannot run in.
    pub fn set_mode(&mut self, name: &str, mode: Mode) -> Result<(), Error> {
        let entry = self
            .server(name)
            .ok_or_else(|| Error::UnknownServer(name.to_owned()))?;
        if mode != Mode::Off {
            launch::resolve(name, entry.server, &entry.state, mode, &self.packages())?;
        }
        self.state_mut().server_mut(name).mode = mode;
        Ok(())
    }

    /// The home's package store.
    pub fn packages(&self) -> crate::packages::Store {
        crate::packages::Store::new(&self.home)
    }

    /// How to start `name` in its current mode.
    pub fn launch(&self, name: &str) -> Result<Launch, Error> {
        let entry = self
            .server(name)
            .ok_or_else(|| Error::UnknownServer(name.to_owned()))?;
        self.launch_in(name, entry.state.mode)
    }

    /// How to start `name` in `mode`.
    pub fn launch_in(&self, name: &str, mode: Mode) -> Result<Launch, Error> {
        let entry = self
            .server(name)
            .ok_or_else(|| Error::UnknownServer(name.to_owned()))?;
        launch::resolve(name, entry.server, &entry.state, mode, &self.packages())
    }

    /// The index of the catalog defining `name`.
    fn locate(&self, name: &str) -> Result<usize, Error> {
        self.catalogs
            .iter()
            .position(|f| f.catalog.registry.contains_key(name))
            .ok_or_else(|| Error::UnknownServer(name.to_owned()))
    }
}

fn mark(dirty: &mut Vec<String>, id: &str) {
    if !dirty.iter().any(|d| d == id) {
        dirty.push(id.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn home() -> (tempfile::TempDir, Home) {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        (dir, home)
    }

    fn host(command: &[&str]) -> Server {
        Server {
            command: Some(command.iter().map(|s| s.to_string()).collect()),
            ..Server::default()
        }
    }

    #[test]
    fn add_mode_remove_on_a_fresh_home() {
        let (_dir, home) = home();
        let mut ws = Workspace::load(home.clone()).unwrap();
        ws.add_server("local", "echo", host(&["node", "/x.js"]))
            .unwrap();
        ws.set_mode("echo", Mode::Managed).unwrap();
        ws.save().unwrap();
        let mut ws = Workspace::open(home.clone()).unwrap();
        assert_eq!(ws.server("echo").unwrap().state.mode, Mode::Managed);
        assert!(matches!(
            ws.add_server("other", "echo", host(&["x"])),
            Err(Error::ServerExists { .. })
        ));
        assert!(matches!(ws.set_mode("echo", Mode::Docker), Ok(())));
        ws.remove_server("echo").unwrap();
        ws.save().unwrap();
        let ws = Workspace::open(home.clone()).unwrap();
        assert!(ws.server("echo").is_none());
        assert!(ws.state().servers.is_empty());
    }

    #[test]
    fn invalid_changes_are_not_written() {
        let (_dir, home) = home();
        let mut ws = Workspace::load(home.clone()).unwrap();
        ws.add_server("local", "empty", Server::default()).unwrap();
        let err = ws.save().unwrap_err().to_string();
        assert!(
            err.contains("neither `image`, `command` nor `remote`"),
            "{err}"
        );
        assert!(!home.root().join("catalogs").exists());
    }

    #[test]
    fn duplicates_across_catalogs_and_unrunnable_modes_are_reported() {
        let (_dir, home) = home();
        fs::create_dir_all(home.catalogs_dir()).unwrap();
        fs::write(home.catalog_path("a"), "registry:\n  x: {image: i}\n").unwrap();
        fs::write(home.catalog_path("b"), "registry:\n  x: {command: [c]}\n").unwrap();
        fs::write(home.state_path(), "servers:\n  x: {mode: native}\n").unwrap();
        let err = Workspace::open(home).unwrap_err().to_string();
        assert!(
            err.contains("b.yaml: server `x` is also defined in"),
            "{err}"
        );
        assert!(
            err.contains("state.yaml: server `x` cannot run in `native` mode"),
            "{err}"
        );
    }

    #[test]
    fn a_file_changed_by_someone_else_is_not_overwritten() {
        let (_dir, home) = home();
        let mut first = Workspace::load(home.clone()).unwrap();
        let mut second = Workspace::load(home.clone()).unwrap();
        first.add_server("local", "a", host(&["a"])).unwrap();
        first.save().unwrap();
        second.add_server("local", "b", host(&["b"])).unwrap();
        assert!(
            matches!(second.save(), Err(Error::Changed(path)) if path == home.catalog_path("local"))
        );
        first.add_server("local", "c", host(&["c"])).unwrap();
        first.save().unwrap();
        let ws = Workspace::open(home).unwrap();
        assert_eq!(ws.servers().map(|e| e.name).collect::<Vec<_>>(), ["a", "c"]);
    }

    #[test]
    fn parse_errors_of_all_files_are_listed() {
        let (_dir, home) = home();
        fs::create_dir_all(home.catalogs_dir()).unwrap();
        fs::write(home.catalog_path("a"), "registry: 5\n").unwrap();
        fs::write(home.state_path(), "servers:\n  x: {mode: sometimes}\n").unwrap();
        let Err(Error::Invalid(issues)) = Workspace::load(home) else {
            panic!()
        };
        assert_eq!(issues.len(), 2);
        assert_eq!(issues[0].location, Some((1, 11)));
        assert_eq!(issues[1].location, Some((2, 13)));
    }
}

/// What a [`Workspace::save_undoable`] overwrote: each written file's text before (`None`: it
/// did not exist).
#[derive(Debug)]
pub struct Undo(Vec<(PathBuf, Option<String>)>);

impl Undo {
    /// Puts every written file back as it was (removes the ones the save created).
    pub fn put_back(self) -> Result<(), Error> {
        for (path, before) in self.0 {
            match before {
                Some(text) => atomic::write(&path, text.as_bytes())?,
                None => match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(Error::io("remove", &path, e))
                    }
                    _ => {}
                },
            }
        }
        Ok(())
    }
}
