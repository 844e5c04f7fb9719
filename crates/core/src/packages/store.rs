//! The package store, `<home>/packages/`: each pinned package installed once, by the user's own
//! `npm` and `pip` (so their registry, certificates and proxy settings apply), and checked
//! against the pinned integrity.
//!
//! - npm: `packages/npm/<name>@<version>/node_modules/…` (`npm install --prefix`);
//! - PyPI: `packages/pypi/<name>==<version>/wheels/` (`pip download`: the package and its
//!   dependencies, which also build its image) and `venv/` (installed from those wheels only).
//!
//! A directory counts as installed once its marker file is written, last: an install cut short
//! is redone, never used.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Invocation, Package, Registry};
use crate::home::Home;

const MARKER: &str = ".dockside-installed";

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("cannot resolve {registry} package `{spec}` from {source_url}: {detail}")]
    Resolve {
        registry: Registry,
        spec: String,
        source_url: String,
        detail: String,
    },
    #[error("cannot install {package} from {source_url}: {detail}")]
    Install {
        package: String,
        source_url: String,
        detail: String,
    },
    #[error("{package}: {detail}")]
    Integrity { package: String, detail: String },
    #[error("{registry} packages cannot be pinned yet (`{name}`); the server keeps its launcher command and runs in `native` or `managed` mode")]
    Unsupported { registry: Registry, name: String },
    #[error("cannot run `{program}` ({detail}); install it, or put it on PATH for Dockside")]
    Tool { program: String, detail: String },
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Dockside's package store.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    pub fn new(home: &Home) -> Store {
        Store::at(home.root().join("packages"))
    }

    pub fn at(root: impl Into<PathBuf>) -> Store {
        Store { root: root.into() }
    }

    /// The directory `package` is installed in.
    pub fn dir(&self, package: &Package) -> PathBuf {
        let name = package.name.replace('/', "+");
        match package.registry {
            Registry::Npm | Registry::Jsr => self
                .root
                .join("npm")
                .join(format!("{name}@{}", package.version)),
            Registry::Pypi => self
                .root
                .join("pypi")
                .join(format!("{name}=={}", package.version)),
        }
    }

    pub fn is_installed(&self, package: &Package) -> bool {
        self.dir(package).join(MARKER).is_file()
    }

    /// How the host runs the installed package: program and the arguments before the server's.
    pub fn host_command(&self, package: &Package) -> (String, Vec<String>) {
        let dir = self.dir(package);
        match package.registry {
            Registry::Npm | Registry::Jsr => {
                let script = dir
                    .join("node_modules")
                    .join(&package.name)
                    .join(&package.entry);
                ("node".to_owned(), vec![script.display().to_string()])
            }
            Registry::Pypi => {
                let bin = venv_bin(&dir.join("venv")).join(&package.entry);
                (bin.display().to_string(), Vec::new())
            }
        }
    }

    /// The build context of the package's image (a `Dockerfile` is written into it).
    pub fn image_context(&self, package: &Package) -> PathBuf {
        match package.registry {
            Registry::Pypi => self.dir(package).join("wheels"),
            _ => self.dir(package),
        }
    }

    /// The Dockerfile that bakes the install into an image `FROM base`.
    pub fn dockerfile(package: &Package, base: &str) -> String {
        let root = super::IMAGE_ROOT;
        let label = format!("LABEL dockside.package=\"{}\"\n", package.label());
        match package.registry {
            Registry::Npm | Registry::Jsr => {
                format!("FROM {base}\n{label}COPY node_modules {root}/node_modules\n")
            }
            Registry::Pypi => format!(
                "FROM {base}\n{label}COPY . {root}/wheels\n\
                 RUN [\"python3\", \"-m\", \"venv\", \"{root}/venv\"]\n\
                 RUN [\"{root}/venv/bin/python\", \"-m\", \"pip\", \"install\", \"--no-index\", \"--no-cache-dir\", \"--disable-pip-version-check\", \"--find-links\", \"{root}/wheels\", \"{}=={}\"]\n",
                package.name, package.version
            ),
        }
    }

    /// Resolves what `invocation` asks for to an exact version, with its integrity and entry
    /// point, from the registry the user's package manager is configured for.
    pub fn resolve(&self, invocation: &Invocation) -> Result<Package, PackageError> {
        match invocation.registry {
            Registry::Npm => resolve_npm(invocation),
            Registry::Pypi => resolve_pypi(invocation),
            Registry::Jsr => Err(PackageError::Unsupported {
                registry: Registry::Jsr,
                name: invocation.name.clone(),
            }),
        }
    }

    /// Installs `package` unless it is installed; `say` gets one line per step.
    pub fn install(
        &self,
        package: &Package,
        say: &mut dyn FnMut(&str),
    ) -> Result<(), PackageError> {
        if self.is_installed(package) {
            return Ok(());
        }
        let dir = self.dir(package);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| io("clear", &dir, e))?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| io("create", &dir, e))?;
        say(&format!(
            "installing {} into {}",
            package.label(),
            dir.display()
        ));
        match package.registry {
            Registry::Npm => install_npm(package, &dir)?,
            Registry::Pypi => install_pypi(package, &dir)?,
            Registry::Jsr => {
                return Err(PackageError::Unsupported {
                    registry: Registry::Jsr,
                    name: package.name.clone(),
                })
            }
        }
        let marker = dir.join(MARKER);
        std::fs::write(&marker, package.label()).map_err(|e| io("write", &marker, e))?;
        say(&format!("installed {}", package.label()));
        Ok(())
    }
}

fn io(action: &'static str, path: &Path, source: std::io::Error) -> PackageError {
    PackageError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

fn venv_bin(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts")
    } else {
        venv.join("bin")
    }
}

fn npm_program() -> &'static str {
    if cfg!(windows) {
        "npm.cmd"
    } else {
        "npm"
    }
}

fn python_program() -> String {
    std::env::var("DOCKSIDE_PYTHON")
        .unwrap_or_else(|_| if cfg!(windows) { "python" } else { "python3" }.to_owned())
}

/// Runs a package manager; its stdout on success, else the last lines of its stderr.
fn run(command: &mut Command) -> Result<Result<String, String>, PackageError> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command.output().map_err(|e| PackageError::Tool {
        program: program.clone(),
        detail: e.to_string(),
    })?;
    if output.status.success() {
        return Ok(Ok(String::from_utf8_lossy(&output.stdout).into_owned()));
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(6)..].join(" | ");
    Ok(Err(if tail.is_empty() {
        format!("`{program}` failed ({})", output.status)
    } else {
        tail
    }))
}

/// The registry npm is configured for (for error messages).
fn npm_registry() -> String {
    match run(Command::new(npm_program()).args(["config", "get", "registry"])) {
        Ok(Ok(out)) if !out.trim().is_empty() => out.trim().to_owned(),
        _ => "the npm registry".to_owned(),
    }
}

/// The index pip is configured for (for error messages).
fn pip_index() -> String {
    if let Ok(url) = std::env::var("PIP_INDEX_URL") {
        return url;
    }
    let python = python_program();
    match run(Command::new(&python).args(["-m", "pip", "config", "get", "global.index-url"])) {
        Ok(Ok(out)) if !out.trim().is_empty() => out.trim().to_owned(),
        _ => "https://pypi.org/simple".to_owned(),
    }
}

/// pip with uv's index settings carried over when the user set those and not pip's.
fn pip(python: &str) -> Command {
    let mut command = Command::new(python);
    command.args(["-m", "pip", "--disable-pip-version-check"]);
    if std::env::var_os("PIP_INDEX_URL").is_none() {
        let uv = std::env::var("UV_DEFAULT_INDEX").or_else(|_| std::env::var("UV_INDEX_URL"));
        if let Ok(url) = uv {
            command.env("PIP_INDEX_URL", url);
        }
    }
    command
}

fn resolve_npm(inv: &Invocation) -> Result<Package, PackageError> {
    let spec = format!(
        "{}@{}",
        inv.name,
        inv.requested.as_deref().unwrap_or("latest")
    );
    let fail = |detail: String| PackageError::Resolve {
        registry: Registry::Npm,
        spec: spec.clone(),
        source_url: npm_registry(),
        detail,
    };
    let out = run(Command::new(npm_program()).args([
        "view",
        &spec,
        "name",
        "version",
        "dist.integrity",
        "bin",
        "--json",
    ]))?
    .map_err(fail)?;
    let value: Value =
        serde_json::from_str(out.trim()).map_err(|e| fail(format!("npm printed no JSON ({e})")))?;
    // A range matching several versions gives one object per version, oldest first.
    let info = match &value {
        Value::Array(list) => list.last().cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    let version = info["version"]
        .as_str()
        .ok_or_else(|| fail("no version matches".into()))?
        .to_owned();
    let entry = npm_entry(inv, &info["bin"]).ok_or_else(|| {
        fail(format!(
            "the package has no command to run{}",
            inv.command
                .as_deref()
                .map(|c| format!(" named `{c}`"))
                .unwrap_or_default()
        ))
    })?;
    Ok(Package {
        registry: Registry::Npm,
        name: inv.name.clone(),
        version,
        integrity: info["dist.integrity"].as_str().map(str::to_owned),
        entry,
        python: None,
    })
}

/// The script npx would run: the named command, else the package's only one, else the one
/// named like the package (without its scope). A `deno run npm:pkg/path` names the file itself.
fn npm_entry(inv: &Invocation, bin: &Value) -> Option<String> {
    let strip = |p: &str| p.trim_start_matches("./").to_owned();
    if let Value::String(path) = bin {
        return Some(strip(path));
    }
    let bins = bin.as_object()?;
    let unscoped = inv.name.rsplit('/').next().unwrap_or(&inv.name);
    let wanted = inv.command.as_deref().unwrap_or(unscoped);
    let path = bins.get(wanted).or_else(|| {
        (bins.len() == 1 && inv.command.is_none())
            .then(|| bins.values().next())
            .flatten()
    });
    match path {
        Some(p) => p.as_str().map(strip),
        // `deno run npm:pkg/sub/file.js` runs a file of the package, not a bin.
        None if inv.command.as_deref().is_some_and(|c| c.contains('.')) => inv.command.clone(),
        None => None,
    }
}

fn python_version(python: &str) -> Result<String, PackageError> {
    let code = "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')";
    run(Command::new(python).args(["-c", code]))?
        .map(|v| v.trim().to_owned())
        .map_err(|detail| PackageError::Tool {
            program: python.to_owned(),
            detail,
        })
}

/// `name==1.2`, `name>=1`, or `name` for the latest.
fn pip_requirement(inv: &Invocation) -> String {
    match inv.requested.as_deref() {
        None | Some("latest") => inv.name.clone(),
        Some(v) if v.starts_with(|c: char| "=<>!~".contains(c)) => format!("{}{v}", inv.name),
        Some(v) => format!("{}=={v}", inv.name),
    }
}

fn resolve_pypi(inv: &Invocation) -> Result<Package, PackageError> {
    let python = python_program();
    let requirement = pip_requirement(inv);
    let fail = |detail: String| PackageError::Resolve {
        registry: Registry::Pypi,
        spec: requirement.clone(),
        source_url: pip_index(),
        detail,
    };
    let out = run(pip(&python).args([
        "install",
        "--dry-run",
        "--quiet",
        "--no-deps",
        "--ignore-installed",
        "--report",
        "-",
        &requirement,
    ]))?
    .map_err(fail)?;
    let report: Value = serde_json::from_str(out.trim())
        .map_err(|e| fail(format!("pip printed no report ({e})")))?;
    let item = &report["install"][0];
    let version = item["metadata"]["version"]
        .as_str()
        .ok_or_else(|| fail("no version matches".into()))?
        .to_owned();
    let archive = &item["download_info"]["archive_info"];
    let integrity = archive["hashes"]["sha256"]
        .as_str()
        .map(|h| format!("sha256:{h}"))
        .or_else(|| archive["hash"].as_str().map(|h| h.replacen('=', ":", 1)));
    Ok(Package {
        registry: Registry::Pypi,
        name: inv.name.clone(),
        version,
        integrity,
        entry: inv.command.clone().unwrap_or_else(|| inv.name.clone()),
        python: Some(python_version(&python)?),
    })
}

fn install_npm(package: &Package, dir: &Path) -> Result<(), PackageError> {
    let spec = format!("{}@{}", package.name, package.version);
    run(Command::new(npm_program())
        .args(["install", "--prefix"])
        .arg(dir)
        .args([
            "--no-audit",
            "--no-fund",
            "--omit=dev",
            "--loglevel=error",
            &spec,
        ]))?
    .map_err(|detail| PackageError::Install {
        package: package.label(),
        source_url: npm_registry(),
        detail,
    })?;
    // npm's hidden lockfile records the integrity of what it unpacked.
    let lock_path = dir.join("node_modules/.package-lock.json");
    let lock = std::fs::read_to_string(&lock_path).map_err(|e| io("read", &lock_path, e))?;
    let lock: Value = serde_json::from_str(&lock).unwrap_or(Value::Null);
    let installed = &lock["packages"][format!("node_modules/{}", package.name)];
    let got = installed["integrity"].as_str();
    check_integrity(package, got, installed["version"].as_str())
}

fn install_pypi(package: &Package, dir: &Path) -> Result<(), PackageError> {
    let python = python_program();
    let wheels = dir.join("wheels");
    let requirement = format!("{}=={}", package.name, package.version);
    let fail = |detail: String| PackageError::Install {
        package: package.label(),
        source_url: pip_index(),
        detail,
    };
    let mut download = pip(&python);
    download
        .args(["download", "--quiet", "--dest"])
        .arg(&wheels);
    if !cfg!(target_os = "linux") {
        // Containers are Linux: wheels for the image's platform and Python.
        let arch = if cfg!(target_arch = "aarch64") {
            "aarch64"
        } else {
            "x86_64"
        };
        download.args(["--only-binary=:all:", "--python-version"]);
        download.arg(package.python.as_deref().unwrap_or("3"));
        for tag in ["manylinux_2_28", "manylinux2014", "manylinux_2_17"] {
            download.args(["--platform", &format!("{tag}_{arch}")]);
        }
    }
    run(download.arg(&requirement))?.map_err(fail)?;
    if let Some(want) = package.integrity.as_deref() {
        let found = std::fs::read_dir(&wheels)
            .map_err(|e| io("read", &wheels, e))?
            .flatten()
            .filter_map(|f| std::fs::read(f.path()).ok())
            .any(|bytes| format!("sha256:{}", hex::encode(Sha256::digest(&bytes))) == want);
        if !found {
            return Err(PackageError::Integrity {
                package: package.label(),
                detail: format!("no downloaded file has the pinned digest {want}; the registry serves other bytes than when it was pinned: `dockside server update` pins again"),
            });
        }
    }
    let venv = dir.join("venv");
    run(Command::new(&python).args(["-m", "venv"]).arg(&venv))?.map_err(fail)?;
    let venv_python = venv_bin(&venv).join(if cfg!(windows) {
        "python.exe"
    } else {
        "python"
    });
    let mut install = pip(&venv_python.display().to_string());
    install
        .args(["install", "--quiet", "--no-index", "--find-links"])
        .arg(&wheels);
    if !cfg!(target_os = "linux") {
        // The wheels are Linux ones: the host's own come from the index.
        install = pip(&venv_python.display().to_string());
        install.args(["install", "--quiet"]);
    }
    run(install.arg(&requirement))?.map_err(fail)?;
    Ok(())
}

fn check_integrity(
    package: &Package,
    got: Option<&str>,
    version: Option<&str>,
) -> Result<(), PackageError> {
    let fail = |detail: String| {
        Err(PackageError::Integrity {
            package: package.label(),
            detail,
        })
    };
    if version != Some(package.version.as_str()) {
        return fail(format!(
            "npm installed version {} instead",
            version.unwrap_or("?")
        ));
    }
    match (package.integrity.as_deref(), got) {
        (Some(want), Some(got)) if want != got => fail(format!(
            "the installed package's integrity {got} is not the pinned {want}; `dockside server update` pins again"
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(registry: Registry, name: &str, command: Option<&str>) -> Invocation {
        Invocation {
            registry,
            name: name.into(),
            requested: None,
            command: command.map(str::to_owned),
            args: vec![],
        }
    }

    #[test]
    fn npm_entry_is_the_script_npx_would_run() {
        let one = serde_json::json!({"mcp-server-everything": "dist/index.js"});
        let e = inv(
            Registry::Npm,
            "@modelcontextprotocol/server-everything",
            None,
        );
        assert_eq!(npm_entry(&e, &one).as_deref(), Some("dist/index.js"));
        let many = serde_json::json!({"tool": "./a.js", "server-x": "b.js"});
        let e = inv(Registry::Npm, "@s/server-x", None);
        assert_eq!(npm_entry(&e, &many).as_deref(), Some("b.js"));
        let e = inv(Registry::Npm, "@s/server-x", Some("tool"));
        assert_eq!(npm_entry(&e, &many).as_deref(), Some("a.js"));
        let e = inv(Registry::Npm, "other", None);
        assert_eq!(npm_entry(&e, &many), None);
    }

    #[test]
    fn pip_requirements_and_store_paths() {
        let mut i = inv(Registry::Pypi, "mcp-server-time", None);
        assert_eq!(pip_requirement(&i), "mcp-server-time");
        i.requested = Some("2025.1".into());
        assert_eq!(pip_requirement(&i), "mcp-server-time==2025.1");
        i.requested = Some(">=1".into());
        assert_eq!(pip_requirement(&i), "mcp-server-time>=1");
        let store = Store::at("/s");
        let p = Package {
            registry: Registry::Npm,
            name: "@a/b".into(),
            version: "1.0.0".into(),
            integrity: None,
            entry: "dist/i.js".into(),
            python: None,
        };
        assert_eq!(store.dir(&p), Path::new("/s/npm/@a+b@1.0.0"));
        assert_eq!(
            store.host_command(&p),
            (
                "node".to_owned(),
                vec!["/s/npm/@a+b@1.0.0/node_modules/@a/b/dist/i.js".to_owned()]
            )
        );
        assert!(p
            .image_tag("node:22-slim")
            .starts_with("dockside-pkg/npm-a-b:1.0.0-"));
        assert!(Store::dockerfile(&p, "node:22-slim").starts_with("FROM node:22-slim\n"));
    }

    #[test]
    fn a_wrong_version_or_digest_is_refused() {
        let p = Package {
            registry: Registry::Npm,
            name: "x".into(),
            version: "1.0.0".into(),
            integrity: Some("sha512-a".into()),
            entry: "i.js".into(),
            python: None,
        };
        assert!(check_integrity(&p, Some("sha512-a"), Some("1.0.0")).is_ok());
        let err = check_integrity(&p, Some("sha512-b"), Some("1.0.0")).unwrap_err();
        assert!(err.to_string().contains("server update"), "{err}");
        assert!(check_integrity(&p, Some("sha512-a"), Some("1.0.1")).is_err());
    }
}
