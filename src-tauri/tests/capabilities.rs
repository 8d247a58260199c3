//! The window may call exactly what it uses: the commands the front end
//! invokes (ui/src/lib/api.ts), the app's handler list (lib.rs), the
//! commands declared for permissions (build.rs) and those granted in
//! capabilities/main.json are one set; the events it listens to are the
//! only core permissions. The CSP allows no inline code, no plugins and no
//! framing.

use std::collections::BTreeSet;
use std::path::Path;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `"name"` quoted right after `marker` in `text`.
fn quoted_after(text: &str, marker: &str) -> BTreeSet<String> {
    text.split(marker)
        .skip(1)
        .filter_map(|rest| rest.strip_prefix('"')?.split('"').next())
        .map(str::to_string)
        .collect()
}

fn api_commands() -> BTreeSet<String> {
    let api = read("../ui/src/lib/api.ts");
    let mut invoked = quoted_after(&api, "invoke(");
    // invoke<Type>("name", ...)
    for rest in api.split("invoke<").skip(1) {
        if let Some(name) = rest
            .split_once(">(\"")
            .and_then(|(_, r)| r.split('"').next())
        {
            invoked.insert(name.to_string());
        }
    }
    invoked
}

fn handled_commands() -> BTreeSet<String> {
    let main = read("src/lib.rs");
    let list = main
        .split("generate_handler![")
        .nth(1)
        .and_then(|r| r.split(']').next())
        .expect("the handler list");
    // `module::name`: the command is the last part.
    list.split(',')
        .filter_map(|c| c.trim().rsplit_once("::").map(|(_, name)| name))
        .map(str::to_string)
        .collect()
}

fn declared_commands() -> BTreeSet<String> {
    let build = read("build.rs");
    let list = build
        .split("const COMMANDS: &[&str] = &[")
        .nth(1)
        .and_then(|r| r.split("];").next())
        .expect("COMMANDS in build.rs");
    list.split(',')
        .map(|c| c.trim().trim_matches('"').to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

fn capability() -> serde_json::Value {
    serde_json::from_str(&read("capabilities/main.json")).expect("capabilities/main.json")
}

#[test]
fn the_window_may_call_exactly_the_commands_it_uses() {
    let used = api_commands();
    assert!(used.contains("phone") && used.len() > 5, "{used:?}");
    assert_eq!(handled_commands(), used, "lib.rs's handlers vs api.ts");
    assert_eq!(declared_commands(), used, "build.rs's COMMANDS vs api.ts");
    let granted: BTreeSet<String> = capability()["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .filter_map(|p| p.as_str())
        .map(str::to_string)
        .collect();
    let wanted: BTreeSet<String> = used
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .chain([
            "core:event:allow-listen".into(),
            "core:event:allow-unlisten".into(),
        ])
        .collect();
    assert_eq!(granted, wanted, "capabilities/main.json");
    assert_eq!(capability()["windows"], serde_json::json!(["main"]));
}

#[test]
fn the_content_security_policy_is_strict() {
    let conf: serde_json::Value =
        serde_json::from_str(&read("tauri.conf.json")).expect("tauri.conf.json");
    let security = &conf["app"]["security"];
    let csp = security["csp"].as_object().expect("a CSP");
    for (directive, sources) in csp {
        let sources = sources.as_str().unwrap_or_default();
        assert!(
            !sources.contains("unsafe-inline") && !sources.contains("unsafe-eval"),
            "{directive}: {sources}"
        );
        assert!(
            !sources.split_whitespace().any(|s| s == "*"),
            "{directive}: {sources}"
        );
    }
    assert_eq!(csp["default-src"], "'self'");
    assert_eq!(csp["script-src"], "'self'");
    assert_eq!(csp["object-src"], "'none'");
    assert_eq!(csp["frame-ancestors"], "'none'");
    assert_eq!(security["freezePrototype"], true);
}
