//! `cargo xtask package`: the Debian package, `target/debian/hookswitch_VERSION_ARCH.deb`.
//!
//! Built with dpkg-deb from a staged tree rather than with cargo-deb or the
//! Tauri bundler (docs/decisions.md D86): both would add a tool to install,
//! neither packs the man page and completions we generate, and cargo-deb
//! refuses the debug build the installed test packs (a second, release build
//! of the app would add minutes to every CI run on two cores). What goes
//! where is the table in `files`; docs/packaging.md explains it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::{build_release, status, target_dir, workspace_root};

const PACKAGE: &str = "hookswitch";
const MAINTAINER: &str = "The Hookswitch developers <hookswitch@example.invalid>";
const HOMEPAGE: &str = "https://example.invalid/hookswitch";
const ICON_SIZES: &[u32] = &[16, 24, 32, 48, 64, 128, 256];

/// Which binaries go in.
#[derive(Clone, Copy, PartialEq)]
pub enum Build {
    /// `cargo build --release` (what users get).
    Release,
    /// The test build already in target/debug (`--all-features`), stripped:
    /// the installed test checks the package, not the optimiser.
    Debug,
}

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let build = match args.first().map(String::as_str) {
        None => Build::Release,
        Some("--debug-build") => Build::Debug,
        Some(a) => bail!("unknown package option {a:?} (--debug-build)"),
    };
    let deb = make(build)?;
    eprintln!("xtask: {}", deb.display());
    Ok(())
}

/// Builds (for a release) and packs; returns the .deb's path.
pub fn make(build: Build) -> anyhow::Result<PathBuf> {
    let bin_dir = match build {
        Build::Release => {
            build_release(&["hookswitch-app/g729", "hookswitch-cli/g729"])?;
            target_dir().join("release")
        }
        Build::Debug => target_dir().join("debug"),
    };
    for bin in ["hookswitch", "hookswitch-app"] {
        if !bin_dir.join(bin).is_file() {
            bail!("{} is not built", bin_dir.join(bin).display());
        }
    }
    let version = version_of(&bin_dir.join("hookswitch"))?;
    let arch = output(Command::new("dpkg").arg("--print-architecture"))?;
    let stage = target_dir().join("debian/stage");
    if stage.exists() {
        std::fs::remove_dir_all(&stage)?;
    }
    let root = workspace_root();
    let linux = root.join("packaging/linux");
    for (from, to, mode) in files(&root) {
        copy(&from, &stage.join(&to), mode)?;
    }
    for bin in ["hookswitch", "hookswitch-app"] {
        let to = stage.join("usr/bin").join(bin);
        copy(&bin_dir.join(bin), &to, 0o755)?;
        let mut strip = Command::new("strip");
        strip
            .args([
                "--strip-unneeded",
                "--remove-section=.comment",
                "--remove-section=.note",
            ])
            .arg(&to);
        status(strip, &format!("strip {bin}"))?;
    }
    for size in ICON_SIZES {
        let dir = format!("{size}x{size}");
        copy(
            &linux
                .join("icons/hicolor")
                .join(&dir)
                .join("apps/org.hookswitch.app.png"),
            &stage
                .join("usr/share/icons/hicolor")
                .join(&dir)
                .join("apps/org.hookswitch.app.png"),
            0o644,
        )?;
    }
    for svg in std::fs::read_dir(linux.join("icons/hicolor/symbolic/apps"))? {
        let svg = svg?.path();
        let name = svg.file_name().context("an icon without a name")?;
        copy(
            &svg,
            &stage
                .join("usr/share/icons/hicolor/symbolic/apps")
                .join(name),
            0o644,
        )?;
    }
    for profile in std::fs::read_dir(root.join("device-profiles"))? {
        let profile = profile?.path();
        if profile
            .extension()
            .is_some_and(|e| e == "toml" || e == "md")
        {
            let name = profile.file_name().context("a profile without a name")?;
            copy(
                &profile,
                &stage
                    .join("usr/share/hookswitch/device-profiles")
                    .join(name),
                0o644,
            )?;
        }
    }
    generated(&stage, &stage.join("usr/bin/hookswitch"), &version)?;
    control(&stage, &version, &arch)?;
    let out = target_dir().join(format!("debian/{PACKAGE}_{version}_{arch}.deb"));
    let mut pack = Command::new("dpkg-deb");
    pack.args(["--build", "--root-owner-group", "-Zxz"])
        .arg(&stage)
        .arg(&out);
    status(pack, "dpkg-deb --build")?;
    Ok(out)
}

/// Files copied as they are: (source, path in the package, mode).
fn files(root: &Path) -> Vec<(PathBuf, PathBuf, u32)> {
    let linux = root.join("packaging/linux");
    [
        (
            root.join("udev/70-hookswitch.rules"),
            "usr/lib/udev/rules.d/70-hookswitch.rules",
        ),
        (
            linux.join("org.hookswitch.app.desktop"),
            "usr/share/applications/org.hookswitch.app.desktop",
        ),
        (
            linux.join("org.hookswitch.app.metainfo.xml"),
            "usr/share/metainfo/org.hookswitch.app.metainfo.xml",
        ),
        (
            linux.join("hookswitch.service"),
            "usr/lib/systemd/user/hookswitch.service",
        ),
        (
            linux.join("copyright"),
            "usr/share/doc/hookswitch/copyright",
        ),
        (root.join("README.md"), "usr/share/doc/hookswitch/README.md"),
    ]
    .into_iter()
    .map(|(from, to)| (from, PathBuf::from(to), 0o644))
    .collect()
}

/// What the built CLI writes about itself (man pages, completions) and the
/// changelog, compressed as Debian wants them.
fn generated(stage: &Path, cli: &Path, version: &str) -> anyhow::Result<()> {
    let gz = |text: &[u8], to: PathBuf| -> anyhow::Result<()> {
        std::fs::create_dir_all(to.parent().context("a file at the root")?)?;
        let plain = to.with_extension("");
        std::fs::write(&plain, text)?;
        // -n: no name or time stamp inside, so the same input packs the same.
        let mut g = Command::new("gzip");
        g.args(["-9nf"]).arg(&plain);
        status(g, &format!("gzip {}", plain.display()))
    };
    let man = output_bytes(Command::new(cli).arg("man"))?;
    gz(&man, stage.join("usr/share/man/man1/hookswitch.1.gz"))?;
    let app_man = std::fs::read(workspace_root().join("packaging/linux/hookswitch-app.1"))?;
    gz(
        &app_man,
        stage.join("usr/share/man/man1/hookswitch-app.1.gz"),
    )?;
    for (shell, to) in [
        ("bash", "usr/share/bash-completion/completions/hookswitch"),
        ("zsh", "usr/share/zsh/vendor-completions/_hookswitch"),
        (
            "fish",
            "usr/share/fish/vendor_completions.d/hookswitch.fish",
        ),
    ] {
        let script = output_bytes(Command::new(cli).args(["completions", shell]))?;
        write(&stage.join(to), &script, 0o644)?;
    }
    // The changelog's date is the release's (AppStream's), so a rebuild of
    // the same version packs the same bytes.
    let date = release_date(version)
        .with_context(|| format!("the metainfo has no <release version=\"{version}\" date=...>"))?;
    let changelog = format!(
        "{PACKAGE} ({version}) unstable; urgency=medium\n\n  * Release {version}: see /usr/share/doc/hookswitch/README.md.\n\n -- {MAINTAINER}  {date}\n"
    );
    gz(
        changelog.as_bytes(),
        stage.join("usr/share/doc/hookswitch/changelog.gz"),
    )
}

/// The release's date from the AppStream file, in the changelog's form.
fn release_date(version: &str) -> Option<String> {
    let metainfo = std::fs::read_to_string(
        workspace_root().join("packaging/linux/org.hookswitch.app.metainfo.xml"),
    )
    .ok()?;
    let tag = format!("<release version=\"{version}\" date=\"");
    let start = metainfo.find(&tag)? + tag.len();
    let day = metainfo.get(start..start + 10)?;
    output(Command::new("date").args(["-R", "-u", "-d", day])).ok()
}

/// DEBIAN/: control (with the shared libraries' packages and the installed
/// size), the maintainer scripts, md5sums.
fn control(stage: &Path, version: &str, arch: &str) -> anyhow::Result<()> {
    let depends = library_packages(stage)?;
    let files = walk(stage)?;
    let mut size_bytes = 0u64;
    let mut relative = Vec::new();
    for file in &files {
        size_bytes += std::fs::metadata(file)?.len();
        relative.push(file.strip_prefix(stage)?);
    }
    // One md5sum for every file, named as dpkg wants: relative to the root.
    let mut md5sums = output(Command::new("md5sum").current_dir(stage).args(&relative))?;
    md5sums.push('\n');
    let installed_kib = size_bytes.div_ceil(1024);
    // libpulse0 is loaded at run time (the PulseAudio sound back end), so
    // dpkg-shlibdeps does not see it; without it sound goes through ALSA.
    let control = format!(
        "Package: {PACKAGE}
Version: {version}
Architecture: {arch}
Maintainer: {MAINTAINER}
Installed-Size: {installed_kib}
Depends: {depends}, xdg-utils
Recommends: gnome-keyring | kwalletmanager, pulseaudio | pipewire-pulse, libpulse0
Section: comm
Priority: optional
Homepage: {HOMEPAGE}
Description: SIP softphone for USB handsets and headsets
 Hookswitch is a desktop softphone whose USB handsets and headsets are
 first-class citizens: lift the handset and the ringing call is answered,
 press the headset's button and the call is muted with the headset's LED
 agreeing, dial on the physical keypad.
 .
 The package holds the desktop app (hookswitch-app), the command line and
 headless daemon (hookswitch, with a systemd user unit), udev rules that
 give the logged-in user USB telephony devices and busylights, and the
 device profiles.
"
    );
    let debian = stage.join("DEBIAN");
    write(&debian.join("control"), control.as_bytes(), 0o644)?;
    write(&debian.join("md5sums"), md5sums.as_bytes(), 0o644)?;
    let scripts = workspace_root().join("packaging/debian");
    for script in ["postinst", "postrm"] {
        copy(&scripts.join(script), &debian.join(script), 0o755)?;
    }
    Ok(())
}

/// The packages of the shared libraries the binaries link, as dpkg-shlibdeps
/// finds them (it wants a debian/control beside it).
fn library_packages(stage: &Path) -> anyhow::Result<String> {
    let work = target_dir().join("debian/shlibdeps");
    std::fs::create_dir_all(work.join("debian"))?;
    std::fs::write(
        work.join("debian/control"),
        format!("Source: {PACKAGE}\n\nPackage: {PACKAGE}\nArchitecture: any\n"),
    )?;
    let mut shlibdeps = Command::new("dpkg-shlibdeps");
    shlibdeps.current_dir(&work).arg("-O");
    for bin in ["hookswitch", "hookswitch-app"] {
        shlibdeps.arg(format!("-e{}", stage.join("usr/bin").join(bin).display()));
    }
    let said = output(&mut shlibdeps)?;
    said.lines()
        .find_map(|l| l.strip_prefix("shlibs:Depends="))
        .map(str::to_owned)
        .context("dpkg-shlibdeps named no packages")
}

fn version_of(cli: &Path) -> anyhow::Result<String> {
    let said = output(Command::new(cli).arg("--version"))?;
    said.split_whitespace()
        .nth(1)
        .map(str::to_owned)
        .with_context(|| format!("`hookswitch --version` said {said:?}"))
}

fn walk(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn copy(from: &Path, to: &Path, mode: u32) -> anyhow::Result<()> {
    let bytes = std::fs::read(from).with_context(|| format!("cannot read {}", from.display()))?;
    write(to, &bytes, mode)
}

fn write(to: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(to.parent().context("a file at the root")?)?;
    std::fs::write(to, bytes).with_context(|| format!("cannot write {}", to.display()))?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

fn output_bytes(cmd: &mut Command) -> anyhow::Result<Vec<u8>> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {:?}", cmd.get_program()))?;
    if !out.status.success() {
        bail!(
            "{:?} failed: {}",
            cmd.get_program(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out.stdout)
}

fn output(cmd: &mut Command) -> anyhow::Result<String> {
    Ok(String::from_utf8(output_bytes(cmd)?)?.trim().to_owned())
}
