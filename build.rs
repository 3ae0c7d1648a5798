//! Records the commit the library is built from, for the provenance of every result
//! (`app::report::Provenance::commit`): the hash of HEAD, followed by `-modified` when tracked
//! files differ from it, or `unknown` outside a git checkout (a source archive, no git).

use std::process::Command;

fn main() {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let commit = match git(&["rev-parse", "HEAD"]) {
        Some(hash) => {
            // Tracked files changed, staged or not (untracked files do not count).
            let changed = git(&["status", "--porcelain", "--untracked-files=no"]);
            if changed.is_some_and(|list| !list.is_empty()) {
                format!("{hash}-modified")
            } else {
                hash
            }
        }
        None => "unknown".into(),
    };
    println!("cargo:rustc-env=PICKL_COMMIT={commit}");
    // Again when the commit or the sources change (an edit makes the build `-modified`).
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
        println!("cargo:rerun-if-changed={dir}/index");
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={dir}/{branch}");
        }
    }
    for path in ["build.rs", "Cargo.toml", "src", "experiments"] {
        println!("cargo:rerun-if-changed={path}");
    }
}
