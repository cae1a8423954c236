//! promptfoo, installed from npm at a pinned version into `target/bench/promptfoo`, and the
//! Node.js it runs on, installed from npm too (the `node-<os>-<arch>` package of official
//! binaries) into `target/bench/node`: promptfoo 0.122 and later need Node.js 22.22 or newer,
//! and 0.121 warns that its Node.js 20 support has ended, so the machine's own `node` is not
//! used. Both installs are skipped when the pinned version is already there.
//!
//! Every promptfoo run has telemetry, the update check and sharing off, and keeps its
//! configuration, database and cache under `target/bench/versus/promptfoo-home`, never `~/.promptfoo`.

use std::path::{Path, PathBuf};
use std::process::Command;

pub const PROMPTFOO_VERSION: &str = "0.123.1";
pub const NODE_VERSION: &str = "24.22.3";

/// promptfoo's documented switches (promptfoo.dev/docs/configuration/telemetry and
/// .../reference/environment-variables), set on every run and on the install.
const QUIET: [(&str, &str); 5] = [
    ("PROMPTFOO_DISABLE_TELEMETRY", "1"),
    ("PROMPTFOO_DISABLE_UPDATE", "1"),
    ("PROMPTFOO_DISABLE_SHARING", "1"),
    ("PROMPTFOO_DISABLE_REMOTE_GENERATION", "1"),
    ("PROMPTFOO_DISABLE_SHARE_EMAIL_REQUEST", "1"),
];

pub struct Promptfoo {
    node: PathBuf,
    entry: PathBuf,
    home: PathBuf,
    pub version: String,
    pub node_version: String,
    pub npm_version: String,
}

impl Promptfoo {
    /// Installs what is missing; an error says which step failed and where its log is.
    pub fn install(root: &Path, home: &Path) -> Result<Promptfoo, String> {
        let npm_version = output(Command::new("npm").arg("--version"))?;
        let os = match std::env::consts::OS {
            "macos" => "darwin",
            other => other,
        };
        let arch = match std::env::consts::ARCH {
            "x86_64" => "x64",
            "aarch64" => "arm64",
            other => other,
        };
        let node_prefix = root.join("target/bench/node");
        let node_package = format!("node-{os}-{arch}");
        let node_bin = node_prefix
            .join("node_modules")
            .join(&node_package)
            .join("bin");
        npm_install(&node_prefix, &node_package, NODE_VERSION, None)?;
        let prefix = root.join("target/bench/promptfoo");
        npm_install(&prefix, "promptfoo", PROMPTFOO_VERSION, Some(&node_bin))?;
        let entry = std::fs::canonicalize(prefix.join("node_modules/.bin/promptfoo"))
            .map_err(|e| format!("promptfoo's entry point: {e}"))?;
        std::fs::create_dir_all(home).unwrap();
        let mut promptfoo = Promptfoo {
            node: node_bin.join("node"),
            entry,
            home: home.to_path_buf(),
            version: String::new(),
            node_version: String::new(),
            npm_version,
        };
        promptfoo.node_version = output(Command::new(&promptfoo.node).arg("--version"))?;
        promptfoo.version = output(promptfoo.command(home).arg("--version"))?;
        Ok(promptfoo)
    }

    /// `promptfoo ARGS` in `dir`, on the pinned Node.js, quiet and kept under `home`.
    pub fn command(&self, dir: &Path) -> Command {
        let mut command = Command::new(&self.node);
        command.arg(&self.entry).current_dir(dir);
        for (name, value) in QUIET {
            command.env(name, value);
        }
        command
            .env("PATH", path_with(self.node.parent().unwrap()))
            .env("PROMPTFOO_CONFIG_DIR", &self.home)
            .env("PROMPTFOO_CACHE_PATH", self.cache())
            .env("FORCE_COLOR", "0")
            .env_remove("OPENAI_API_KEY")
            .env_remove("OPENAI_BASE_URL");
        command
    }

    /// `promptfoo eval` of `promptfooconfig.yaml` in `dir`, results in `dir/results.json`,
    /// nothing written to its database, the cache read and written only if `cache`.
    pub fn eval(&self, dir: &Path, concurrency: usize, cache: bool) -> Command {
        let mut command = self.command(dir);
        command.args([
            "eval",
            "-c",
            "promptfooconfig.yaml",
            "-o",
            "results.json",
            "--no-write",
            "--no-table",
            "--no-progress-bar",
            "--no-share",
            "-j",
            &concurrency.to_string(),
        ]);
        if !cache {
            command.arg("--no-cache");
        }
        command
    }

    /// The folder of promptfoo's response cache.
    pub fn cache(&self) -> PathBuf {
        self.home.join("cache")
    }
}

/// `npm install --prefix PREFIX NAME@VERSION` unless that version is installed there.
fn npm_install(
    prefix: &Path,
    name: &str,
    version: &str,
    node: Option<&Path>,
) -> Result<(), String> {
    let manifest = prefix.join("node_modules").join(name).join("package.json");
    let installed = std::fs::read_to_string(&manifest)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| json["version"].as_str().map(str::to_string));
    if installed.as_deref() == Some(version) {
        return Ok(());
    }
    std::fs::create_dir_all(prefix).unwrap();
    let log = prefix.join("install.log");
    eprintln!(
        "installing {name}@{version} into {} (log: {})",
        prefix.display(),
        log.display()
    );
    let mut command = Command::new("npm");
    command
        .args(["install", "--prefix"])
        .arg(prefix)
        .args(["--no-audit", "--no-fund", &format!("{name}@{version}")])
        .env("npm_config_update_notifier", "false");
    for (variable, value) in QUIET {
        command.env(variable, value);
    }
    if let Some(node) = node {
        // npm and the packages' install scripts run on the pinned Node.js.
        command.env("PATH", path_with(node));
    }
    let file = std::fs::File::create(&log).unwrap();
    let status = command
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .status()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "npm install {name}@{version} failed ({status}); see {}",
            log.display()
        ))
    }
}

fn path_with(dir: &Path) -> std::ffi::OsString {
    let mut paths = vec![dir.to_path_buf()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

/// A command's stdout, trimmed: its last line (Node.js may print warnings first).
pub fn output(command: &mut Command) -> Result<String, String> {
    let out = command
        .output()
        .map_err(|e| format!("cannot run {:?}: {e}", command.get_program()))?;
    if !out.status.success() {
        return Err(format!(
            "{:?} failed: {}",
            command.get_program(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.lines().last().unwrap_or("").trim().to_string())
}
