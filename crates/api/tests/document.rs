//! The OpenAPI document: every `$ref` resolves, every route of the router
//! has an operation, and the schemas say what serde does.

use serde_json::Value;

fn document() -> Value {
    serde_json::from_str(hookswitch_api::openapi_document()).expect("JSON")
}

fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                if k == "$ref" {
                    out.extend(v.as_str());
                } else {
                    refs(v, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 50, "{}", all.len());
    for r in all {
        let pointer = r.strip_prefix('#').expect("local ref");
        assert!(doc.pointer(pointer).is_some(), "{r} dangles");
    }
}

#[test]
fn the_vocabulary_is_described_as_serde_reads_it() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    // The action a call places: target required, account optional, no audio.
    let variants = schemas["Action"]["oneOf"].as_array().expect("variants");
    let call = variants
        .iter()
        .find(|v| v["properties"]["cmd"]["const"] == "call")
        .expect("call");
    assert_eq!(call["required"], serde_json::json!(["cmd", "target"]));
    assert_eq!(call["additionalProperties"], false);
    for v in variants {
        assert!(
            v["properties"].get("audio").is_none(),
            "audio is not taken over HTTP"
        );
    }
    // Reject's status has a default: optional when read.
    let ops = &doc["paths"]["/v1/calls/{call}/reject"]["post"];
    assert_eq!(ops["operationId"], "rejectCall");
    assert_eq!(ops["security"][0]["bearer"], serde_json::json!([]));
    let open = &doc["paths"]["/openapi.json"]["get"];
    assert_eq!(open["security"], serde_json::json!([]));
    for path in [
        "/v1/state",
        "/v1/calls",
        "/v1/events",
        "/v1/history",
        "/v1/contacts",
        "/v1/actions",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
}

/// `HOOKSWITCH_OPENAPI_OUT=FILE`: writes the document there (for the
/// validator run by `tests/tests/api.rs`, and for people).
#[test]
fn written_when_asked() {
    if let Some(path) = std::env::var_os("HOOKSWITCH_OPENAPI_OUT") {
        std::fs::write(path, hookswitch_api::openapi_document()).unwrap();
    }
}
