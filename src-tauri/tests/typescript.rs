//! The window's TypeScript types are the Rust ones: `ui/src/lib/generated.ts`
//! must be what `hookswitch_app::typescript()` makes of them (D52). Run with
//! HOOKSWITCH_WRITE_TYPES=1 to write the file after changing a type.
#![cfg(feature = "ts")]

use std::path::Path;

#[test]
fn the_windows_types_are_the_rust_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/generated.ts");
    let wanted = hookswitch_app::typescript();
    if std::env::var_os("HOOKSWITCH_WRITE_TYPES").is_some() {
        std::fs::write(&path, &wanted).expect("write generated.ts");
    }
    let found = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        found == wanted,
        "{} is not what the Rust types give: run HOOKSWITCH_WRITE_TYPES=1 cargo test -p hookswitch-app --features ts --test typescript",
        path.display()
    );
}
