//! Builds the small C++ shim over WebRTC's AudioProcessing (echo
//! cancellation) against Debian's libwebrtc-audio-processing-dev.

fn main() {
    println!("cargo:rerun-if-changed=csrc/echo_shim.cc");
    let library = pkg_config::Config::new()
        .atleast_version("0.3")
        .probe("webrtc-audio-processing")
        .unwrap_or_else(|e| {
            panic!("webrtc-audio-processing not found ({e}); run `cargo xtask setup`")
        });
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .std("c++11")
        .file("csrc/echo_shim.cc")
        .warnings(false);
    for path in &library.include_paths {
        build.include(path);
    }
    for (name, value) in &library.defines {
        build.define(name, value.as_deref());
    }
    build.compile("hookswitch_echo_shim");
}
