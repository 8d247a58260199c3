//! Link flags for the shipped `hookswitch` binary.

fn main() {
    // Relative relocations packed as DT_RELR (glibc 2.36, binutils 2.38):
    // a position-independent Rust binary otherwise carries ~1 MB of
    // `.rela.dyn` that the loader reads at every start (D104).
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu")
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
