//! The real-kernel rig: Debian's own kernel (the linux-image-amd64 package,
//! downloaded and unpacked, never installed) booted under QEMU with software
//! emulation and a tiny initramfs built here: busybox, the USB gadget and HID
//! modules, a test program and the shared libraries it needs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::cpio::Cpio;
use crate::process::Process;

/// Modules in load order: the USB core, the gadget side (configfs, dummy_hcd,
/// the HID function), the host's HID stack, and hid-jabra, which claims every
/// Jabra vendor ID (without it a Jabra gadget gets no hidraw node).
pub const HID_GADGET_MODULES: &[&str] = &[
    "usb-common",
    "usbcore",
    "udc-core",
    "configfs",
    "libcomposite",
    "dummy_hcd",
    "usb_f_hid",
    "hid",
    "usbhid",
    "hid-generic",
    "hid-jabra",
    // Poly's headsets have a special driver: hid-generic leaves them to it.
    "hid-plantronics",
    // The kernel's own CM109 handset driver, which Hookswitch must take the
    // phone from (with consent) and give it back to.
    "cm109",
    "yealink",
    // The headset's sound card (see qemu_hid.rs): the gadget's MIDI function
    // and the host's USB audio driver, with what they need.
    "soundcore",
    "snd",
    "snd-timer",
    "snd-pcm",
    "snd-hwdep",
    "snd-seq-device",
    "snd-rawmidi",
    "snd-usbmidi-lib",
    "mc",
    "snd-usb-audio",
    "usb_f_midi",
];

/// The gadget: the Jabra's IDs and descriptor (`/etc/descriptor.bin` in the
/// image), the HID function and a MIDI function (its sound card), config 1.
pub const JABRA_GADGET_SETUP: &str = r#"mount -t configfs none /sys/kernel/config
G=/sys/kernel/config/usb_gadget/g1
mkdir $G
echo 0x0b0e > $G/idVendor
echo 0x0307 > $G/idProduct
mkdir $G/strings/0x409
echo Jabra > $G/strings/0x409/manufacturer
echo "Jabra EVOLVE LINK MS" > $G/strings/0x409/product
echo 000123 > $G/strings/0x409/serialnumber
mkdir $G/functions/hid.usb0
echo 0 > $G/functions/hid.usb0/protocol
echo 0 > $G/functions/hid.usb0/subclass
echo 64 > $G/functions/hid.usb0/report_length
cat /etc/descriptor.bin > $G/functions/hid.usb0/report_desc
mkdir $G/configs/c.1
ln -s $G/functions/hid.usb0 $G/configs/c.1/
mkdir $G/functions/midi.usb0
ln -s $G/functions/midi.usb0 $G/configs/c.1/"#;

/// Boots the Jabra gadget rig (Debian's kernel, cached under the target
/// folder; `JABRA_GADGET_SETUP` with the Evolve Link's descriptor) with
/// `program` as the guest's test program and `plug_cycles` as
/// `/etc/plug-cycles` (what the guest reads: "5", "50 only"); the image
/// goes into `dir`. The console once the guest powered off, or why it
/// could not boot.
pub fn boot_jabra_gadget(
    program: &Path,
    plug_cycles: &str,
    dir: &Path,
    timeout: Duration,
) -> Result<Boot, String> {
    let kernel = debian_kernel(&target_dir().join("qemu-rig").join("kernel"))?;
    let descriptor = hookswitch_hid::descriptor_from_hex(crate::devices::JABRA_EVOLVE_LINK_HEX)?;
    let guest = Guest {
        kernel: &kernel,
        modules: HID_GADGET_MODULES,
        program,
        setup: JABRA_GADGET_SETUP,
        files: vec![
            ("/etc/descriptor.bin".into(), descriptor),
            ("/etc/plug-cycles".into(), plug_cycles.as_bytes().to_vec()),
        ],
    };
    let initrd = dir.join("initramfs.cpio");
    std::fs::write(&initrd, initramfs(&guest)?)
        .map_err(|e| format!("{}: {e}", initrd.display()))?;
    Ok(boot(&kernel, &initrd, timeout))
}

pub struct Kernel {
    pub vmlinuz: PathBuf,
    /// lib/modules/<version>
    pub modules: PathBuf,
}

fn run(cmd: &mut Command, what: &str) -> Result<String, String> {
    let out = cmd
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("{what}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The build's target directory (where downloads are cached between runs).
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    // <target>/debug/deps/<test binary> or <target>/release/<program>:
    // the nearest folder cargo marked as its target.
    std::env::current_exe()
        .ok()
        .and_then(|p| {
            p.ancestors()
                .find(|a| a.join("CACHEDIR.TAG").is_file())
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// Debian's current kernel, unpacked under `cache` (downloaded once).
pub fn debian_kernel(cache: &Path) -> Result<Kernel, String> {
    let root = cache.join("root");
    if let Some(k) = find_kernel(&root) {
        return Ok(k);
    }
    std::fs::create_dir_all(cache).map_err(|e| e.to_string())?;
    // The meta package names the versioned image it depends on.
    let depends = run(
        Command::new("apt-cache").args(["depends", "linux-image-amd64"]),
        "apt-cache depends linux-image-amd64",
    )?;
    let image = depends
        .lines()
        .find_map(|l| l.trim().strip_prefix("Depends: "))
        .filter(|p| p.starts_with("linux-image-"))
        .ok_or(
            "apt knows no linux-image-amd64: run `cargo xtask setup` (it refreshes apt's lists)",
        )?
        .trim()
        .to_owned();
    run(
        Command::new("apt-get")
            .args(["download", "-q", &image])
            .current_dir(cache),
        &format!("apt-get download {image}"),
    )?;
    let deb = std::fs::read_dir(cache)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .ok_or("the kernel package did not download")?;
    run(
        Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root),
        "dpkg-deb -x",
    )?;
    let _ = std::fs::remove_file(&deb);
    find_kernel(&root).ok_or_else(|| format!("no kernel in {}", root.display()))
}

fn find_kernel(root: &Path) -> Option<Kernel> {
    let boot = std::fs::read_dir(root.join("boot")).ok()?;
    let vmlinuz = boot.flatten().map(|e| e.path()).find(|p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz-"))
    })?;
    let version = vmlinuz.file_name()?.to_string_lossy()["vmlinuz-".len()..].to_owned();
    let modules = root.join("lib/modules").join(&version);
    modules.is_dir().then_some(Kernel { vmlinuz, modules })
}

/// The file of module `name` (the kernel spells names with - or _).
fn module_file(modules: &Path, name: &str) -> Option<PathBuf> {
    let wanted = name.replace('-', "_");
    let mut stack = vec![modules.join("kernel")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).ok()?.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let file = p.file_name()?.to_string_lossy().into_owned();
            let stem = file
                .strip_suffix(".ko")
                .or_else(|| file.strip_suffix(".ko.xz"))
                .or_else(|| file.strip_suffix(".ko.zst"));
            if stem.is_some_and(|s| s.replace('-', "_") == wanted) {
                return Some(p);
            }
        }
    }
    None
}

/// A module's bytes, decompressed (busybox insmod wants plain .ko files).
fn module_bytes(path: &Path) -> Result<Vec<u8>, String> {
    let name = path.to_string_lossy();
    if name.ends_with(".ko") {
        return std::fs::read(path).map_err(|e| e.to_string());
    }
    let tool = if name.ends_with(".xz") { "xz" } else { "zstd" };
    let out = Command::new(tool)
        .args(["-dc"])
        .arg(path)
        .output()
        .map_err(|e| format!("{tool}: {e}"))?;
    Ok(out.stdout)
}

/// The shared libraries `binary` loads (ldd), as (path in the guest, bytes).
fn libraries(binary: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let out = run(Command::new("ldd").arg(binary), "ldd")?;
    let mut libs = Vec::new();
    for line in out.lines() {
        let path = match line.split_once("=>") {
            Some((_, rest)) => rest.split_whitespace().next(),
            None => line.split_whitespace().next(),
        };
        let Some(path) = path.filter(|p| p.starts_with('/')) else {
            continue;
        };
        let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        libs.push((path.to_owned(), bytes));
    }
    Ok(libs)
}

/// What the guest needs to run `program` as the last step of its init.
pub struct Guest<'a> {
    pub kernel: &'a Kernel,
    pub modules: &'a [&'a str],
    pub program: &'a Path,
    /// Shell lines run after the modules are loaded, before the program.
    pub setup: &'a str,
    /// Extra files: (path in the guest, bytes).
    pub files: Vec<(String, Vec<u8>)>,
}

pub fn initramfs(guest: &Guest) -> Result<Vec<u8>, String> {
    let mut cpio = Cpio::default();
    for d in ["/proc", "/sys", "/dev", "/tmp", "/run", "/mods", "/etc"] {
        cpio.dir(d);
    }
    let busybox = std::fs::read("/bin/busybox")
        .map_err(|e| format!("/bin/busybox (Debian package busybox-static): {e}"))?;
    cpio.file("/bin/busybox", &busybox, true);
    for applet in [
        "sh", "mount", "insmod", "mkdir", "echo", "cat", "ln", "ls", "sleep", "dmesg",
    ] {
        cpio.symlink(&format!("/bin/{applet}"), "busybox");
    }
    let mut load = String::new();
    for name in guest.modules {
        let path = module_file(&guest.kernel.modules, name)
            .ok_or_else(|| format!("module {name} is not in this kernel"))?;
        cpio.file(&format!("/mods/{name}.ko"), &module_bytes(&path)?, false);
        load.push_str(&format!(
            "insmod /mods/{name}.ko || echo \"insmod {name} failed\"\n"
        ));
    }
    let program = std::fs::read(guest.program).map_err(|e| e.to_string())?;
    cpio.file("/program", &program, true);
    for (path, bytes) in libraries(guest.program)? {
        cpio.file(&path, &bytes, true);
    }
    for (path, bytes) in &guest.files {
        cpio.file(path, bytes, false);
    }
    let init = format!(
        "#!/bin/sh\n\
         mount -t proc proc /proc\n\
         mount -t sysfs sys /sys\n\
         mount -t devtmpfs dev /dev\n\
         {load}\
         {setup}\n\
         exec /program\n",
        setup = guest.setup
    );
    cpio.file("/init", init.as_bytes(), true);
    Ok(cpio.finish())
}

/// What the guest printed on its console, and how long the boot and run took.
pub struct Boot {
    pub console: String,
    pub elapsed: Duration,
}

/// Boots `kernel` with `initrd` under TCG (KVM is not available here) and
/// returns the console once the guest powers off; panics after `timeout`
/// with the console so far.
pub fn boot(kernel: &Kernel, initrd: &Path, timeout: Duration) -> Boot {
    let dir = initrd.parent().unwrap_or(Path::new("."));
    let started = Instant::now();
    let mut cmd = Command::new("qemu-system-x86_64");
    cmd.args([
        "-accel",
        "tcg",
        "-m",
        "512",
        "-smp",
        "1",
        "-nographic",
        "-no-reboot",
    ])
    .arg("-kernel")
    .arg(&kernel.vmlinuz)
    .arg("-initrd")
    .arg(initrd)
    .args(["-append", "console=ttyS0 panic=-1 rdinit=/init loglevel=3"]);
    let mut qemu = Process::spawn("qemu-console", cmd, dir);
    qemu.wait(timeout);
    Boot {
        console: qemu.log(),
        elapsed: started.elapsed(),
    }
}
