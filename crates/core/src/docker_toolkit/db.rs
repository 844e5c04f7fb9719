//! Docker MCP Toolkit's profiles database, `~/.docker/mcp/mcp-toolkit.db`, read-only.
//!
//! The schema is docker/mcp-gateway's `pkg/db/migrations/001…006*.sql`, applied by
//! golang-migrate, which keeps the applied version in `schema_migrations(version, dirty)`. A
//! profile is a row of `working_set(id, name, servers, secrets)`; `servers` is a JSON list of
//! `{type: registry|image|remote, config, secrets, tools, source, image, endpoint, catalog_ref,
//! snapshot: {server: <catalog server>}}` (`pkg/db/workingset.go`). `tools: null` allows every
//! tool and `[]` none (`pkg/workingset/tools.go`).
//!
//! The file is opened read-only (`SQLITE_OPEN_READ_ONLY`), both reads happen in one read
//! transaction, and a write lock held by Docker is reported as such instead of waiting forever.

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use rusqlite::{Connection, ErrorCode, OpenFlags};
use serde::Deserialize;

/// The database's file name inside Docker's MCP folder.
pub const DB_FILE: &str = "mcp-toolkit.db";

/// The golang-migrate schema versions this reader knows: `working_set` is the same in all of
/// them (docker/mcp-gateway `pkg/db/migrations`, 001_initial … 006_pull_record).
pub const KNOWN_VERSIONS: RangeInclusive<i64> = 1..=6;

/// How long a read waits for a writer (Docker Desktop, a `docker mcp` command) to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{}: not found; Docker MCP Toolkit keeps its profiles in this file (pass the folder that holds it with --docker DIR)", .0.display())]
    Missing(PathBuf),
    #[error("{}: locked by another program (Docker Desktop or a `docker mcp` command is writing it); try again in a moment", .0.display())]
    Locked(PathBuf),
    #[error("{}: not a Docker MCP Toolkit database ({detail})", .path.display())]
    NotToolkit { path: PathBuf, detail: String },
    #[error("{}: schema version {version} is unknown to Dockside, which reads versions {}–{} (docker/mcp-gateway pkg/db/migrations); update Dockside", .path.display(), KNOWN_VERSIONS.start(), KNOWN_VERSIONS.end())]
    UnknownVersion { path: PathBuf, version: i64 },
    #[error("{}: schema version {version} is marked dirty (a Docker migration was interrupted); run `docker mcp profile list` so Docker finishes it", .path.display())]
    Dirty { path: PathBuf, version: i64 },
    #[error("{}: profile `{profile}`: {detail}", .path.display())]
    BadProfile {
        path: PathBuf,
        profile: String,
        detail: String,
    },
    #[error("{}: {detail}", .path.display())]
    Sqlite { path: PathBuf, detail: String },
}

/// One profile (`working_set` row).
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub servers: Vec<ProfileServer>,
}

/// One server of a profile, as Docker stores it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProfileServer {
    /// `registry`, `image` or `remote`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Values for the server's `{{server.key}}` templates.
    #[serde(default)]
    pub config: Option<IndexMap<String, serde_json::Value>>,
    /// Tool allow-list: `None` (JSON `null`) allows every tool.
    #[serde(default)]
    pub tools: Option<Vec<String>>,
    /// The image reference (type `image`).
    #[serde(default)]
    pub image: Option<String>,
    /// The URL (type `remote`).
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The registry URL (type `registry`).
    #[serde(default)]
    pub source: Option<String>,
    /// The full catalog definition, in Docker's catalog shape (JSON).
    #[serde(default)]
    pub snapshot: Option<Snapshot>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Snapshot {
    pub server: serde_json::Value,
}

impl ProfileServer {
    /// The server's name: its snapshot's `name`.
    pub fn name(&self) -> Option<&str> {
        let snapshot = self.snapshot.as_ref()?;
        snapshot
            .server
            .get("name")?
            .as_str()
            .filter(|n| !n.is_empty())
    }

    /// How to refer to a server without a name in a message: its image, URL or source.
    pub fn label(&self) -> &str {
        [&self.image, &self.endpoint, &self.source]
            .into_iter()
            .find_map(|v| v.as_deref().filter(|v| !v.is_empty()))
            .unwrap_or(self.kind.as_str())
    }
}

/// Every profile in the database at `path`, by id.
pub fn read(path: &Path) -> Result<Vec<Profile>, DbError> {
    if !path.is_file() {
        return Err(DbError::Missing(path.to_owned()));
    }
    let sqlite = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            DbError::Locked(path.to_owned())
        }
        Some(ErrorCode::NotADatabase) => DbError::NotToolkit {
            path: path.to_owned(),
            detail: e.to_string(),
        },
        _ => DbError::Sqlite {
            path: path.to_owned(),
            detail: e.to_string(),
        },
    };
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite)?;
    let tx = conn.transaction().map_err(sqlite)?;

    let version = tx.query_row(
        "SELECT version, dirty FROM schema_migrations LIMIT 1",
        [],
        |row| Ok((row.get::<_, i64>(0)?, row.get::<_, bool>(1)?)),
    );
    let (version, dirty) = match version {
        Ok(v) => v,
        Err(rusqlite::Error::QueryReturnedNoRows) => {
            return Err(DbError::NotToolkit {
                path: path.to_owned(),
                detail: "no schema version: Docker never finished creating it".into(),
            })
        }
        Err(e) if e.to_string().contains("no such table") => {
            return Err(DbError::NotToolkit {
                path: path.to_owned(),
                detail: "it has no schema_migrations table".into(),
            })
        }
        Err(e) => return Err(sqlite(e)),
    };
    if !KNOWN_VERSIONS.contains(&version) {
        return Err(DbError::UnknownVersion {
            path: path.to_owned(),
            version,
        });
    }
    if dirty {
        return Err(DbError::Dirty {
            path: path.to_owned(),
            version,
        });
    }

    let mut stmt = tx
        .prepare("SELECT id, name, servers FROM working_set ORDER BY id")
        .map_err(sqlite)?;
    let rows = stmt
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })
        .map_err(sqlite)?;
    let mut profiles = Vec::new();
    for row in rows {
        let (id, name, servers) = row.map_err(sqlite)?;
        let servers = serde_json::from_str(&servers).map_err(|e| DbError::BadProfile {
            path: path.to_owned(),
            profile: id.clone(),
            detail: format!("its `servers` column is not a list of servers: {e}"),
        })?;
        profiles.push(Profile { id, name, servers });
    }
    Ok(profiles)
}

/// Profiles databases made the way Docker makes them, for tests (here and in dependents).
#[cfg(any(test, feature = "testing"))]
pub mod testing {
    use std::path::Path;

    use rusqlite::Connection;

    /// Docker's schema, copied from its migrations (the file names the source and commit).
    pub const SCHEMA: &str = include_str!("../../../../tests/fixtures/docker/toolkit/schema.sql");

    /// A profile's `servers` the way `docker mcp profile server add` and Docker's migration of
    /// the legacy files write them: an image server with a secret and a tool allow-list, an
    /// image server with config values and every tool, and a remote server with no tools.
    pub const SERVERS: &str =
        include_str!("../../../../tests/fixtures/docker/toolkit/default-profile.json");

    /// Creates the database at `path` with Docker's schema and these profiles
    /// (`(id, name, servers JSON)`), each with Docker's default secrets provider.
    pub fn create(path: &Path, profiles: &[(&str, &str, &str)]) -> rusqlite::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        }
        let conn = Connection::open(path)?;
        conn.execute_batch(SCHEMA)?;
        for (id, name, servers) in profiles {
            conn.execute(
                "INSERT INTO working_set (id, name, servers, secrets) VALUES (?1, ?2, ?3, ?4)",
                (
                    id,
                    name,
                    servers,
                    r#"{"default":{"provider":"docker-desktop-store"}}"#,
                ),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_profiles_without_writing_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        testing::create(
            &path,
            &[
                ("default", "Default Profile", testing::SERVERS),
                ("work", "Work", "[]"),
            ],
        )
        .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let profiles = read(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        assert_eq!(
            profiles.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
            ["default", "work"]
        );
        let servers = &profiles[0].servers;
        assert_eq!(servers.len(), 3);
        assert_eq!(servers[0].name(), Some("github-official"));
        assert_eq!(
            servers[0].tools.as_deref(),
            Some(&["create_issue".to_owned(), "get_file_contents".to_owned()][..])
        );
        assert_eq!(servers[1].tools, None);
        assert_eq!(servers[2].tools.as_deref(), Some(&[][..]));
        assert_eq!(servers[2].kind, "remote");
        assert_eq!(servers[2].label(), "https://docs.mcp.cloudflare.com/sse");
    }

    #[test]
    fn errors_say_what_is_wrong_with_which_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        let err = read(&path).unwrap_err();
        assert!(matches!(err, DbError::Missing(_)), "{err}");
        assert!(err.to_string().starts_with(&path.display().to_string()));

        std::fs::write(&path, "not a database, just text that is long enough").unwrap();
        let err = read(&path).unwrap_err();
        assert!(matches!(err, DbError::NotToolkit { .. }), "{err}");

        std::fs::remove_file(&path).unwrap();
        Connection::open(&path)
            .unwrap()
            .execute_batch("create table other (x);")
            .unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("no schema_migrations table"), "{err}");

        std::fs::remove_file(&path).unwrap();
        testing::create(&path, &[]).unwrap();
        let conn = Connection::open(&path).unwrap();
        conn.execute("UPDATE schema_migrations SET version = 7", [])
            .unwrap();
        let err = read(&path).unwrap_err();
        assert!(
            matches!(err, DbError::UnknownVersion { version: 7, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("versions 1–6"), "{err}");
        conn.execute("UPDATE schema_migrations SET version = 6, dirty = 1", [])
            .unwrap();
        assert!(matches!(
            read(&path),
            Err(DbError::Dirty { version: 6, .. })
        ));
        conn.execute("UPDATE schema_migrations SET dirty = 0", [])
            .unwrap();
        conn.execute(
            "INSERT INTO working_set VALUES ('bad', 'Bad', '{\"not\":\"a list\"}', '{}')",
            [],
        )
        .unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("profile `bad`: its `servers` column"), "{err}");
    }

    #[test]
    fn a_write_lock_held_by_docker_is_reported_as_locked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        testing::create(&path, &[("default", "Default Profile", "[]")]).unwrap();
        let docker = Connection::open(&path).unwrap();
        docker.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let err = read(&path).unwrap_err();
        assert!(matches!(err, DbError::Locked(_)), "{err}");
        docker.execute_batch("COMMIT").unwrap();
        assert_eq!(read(&path).unwrap().len(), 1);
    }
}
