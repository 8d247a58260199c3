//! The route table: each route is added once, with its handler and its
//! description, so the router and the OpenAPI document cannot disagree.
//! Schemas come from the Rust types (schemars): what a handler reads is
//! described as serde reads it, what it answers as serde writes it.

use std::collections::{BTreeMap, BTreeSet};

use axum::routing::MethodRouter;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

use crate::context::ApiContext;
use crate::error::ErrorBody;

type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// A call's number as a path has it: what a u64 holds.
struct CallNumber;

impl JsonSchema for CallNumber {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CallNumber".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({
            "type": "integer",
            "minimum": 0,
            "maximum": u64::MAX,
        })
    }
}

/// How one operation is described.
pub struct Op {
    id: &'static str,
    tag: &'static str,
    summary: &'static str,
    description: Option<&'static str>,
    params: Vec<(&'static str, &'static str, SchemaFn)>,
    query: Option<SchemaFn>,
    body: Option<(SchemaFn, bool)>,
    ok: u16,
    answer: Option<SchemaFn>,
    errors: BTreeSet<u16>,
    open: bool,
    raw_responses: Option<Value>,
}

/// Errors the engine can answer an action with.
pub const ACTION_ERRORS: &[u16] = &[404, 409, 413, 422, 502, 503];

impl Op {
    pub fn new(id: &'static str, tag: &'static str, summary: &'static str) -> Op {
        Op {
            id,
            tag,
            summary,
            description: None,
            params: Vec::new(),
            query: None,
            body: None,
            ok: 200,
            answer: None,
            errors: BTreeSet::new(),
            open: false,
            raw_responses: None,
        }
    }

    pub fn describe(mut self, text: &'static str) -> Op {
        self.description = Some(text);
        self
    }

    /// A `{name}` of the path.
    pub fn param<T: JsonSchema>(mut self, name: &'static str, text: &'static str) -> Op {
        self.params.push((name, text, schema_of::<T>));
        self.errors.insert(400);
        self.errors.insert(404);
        self
    }

    /// The `{call}` of the path: a call's number.
    pub fn call_param(self) -> Op {
        self.param::<CallNumber>("call", "The call's number (`id` in `/v1/calls`).")
    }

    /// The query string's fields, as `T` reads them.
    pub fn query<T: JsonSchema>(mut self) -> Op {
        self.query = Some(schema_of::<T>);
        self.errors.insert(400);
        self
    }

    /// A JSON body (`required`: an empty one is not `{}`).
    pub fn body<T: JsonSchema>(mut self, required: bool) -> Op {
        self.body = Some((schema_of::<T>, required));
        self.errors.extend([400, 413, 415]);
        self
    }

    pub fn answers<T: JsonSchema>(mut self, status: u16) -> Op {
        self.ok = status;
        self.answer = Some(schema_of::<T>);
        self
    }

    pub fn errors(mut self, statuses: &[u16]) -> Op {
        self.errors.extend(statuses);
        self
    }

    /// No token needed.
    pub fn open(mut self) -> Op {
        self.open = true;
        self
    }

    /// Responses written out by hand (the event stream).
    pub fn responses(mut self, responses: Value) -> Op {
        self.raw_responses = Some(responses);
        self
    }
}

pub struct Spec {
    routes: BTreeMap<&'static str, MethodRouter<ApiContext>>,
    ops: Vec<(&'static str, &'static str, Op)>,
}

impl Spec {
    pub fn new() -> Spec {
        Spec {
            routes: BTreeMap::new(),
            ops: Vec::new(),
        }
    }

    /// Adds `handler` (a method router for `method`) at `path`.
    pub fn add(
        &mut self,
        method: &'static str,
        path: &'static str,
        handler: MethodRouter<ApiContext>,
        op: Op,
    ) {
        let merged = match self.routes.remove(path) {
            Some(existing) => existing.merge(handler),
            None => handler,
        };
        self.routes.insert(path, merged);
        self.ops.push((method, path, op));
    }

    pub fn router(&self) -> axum::Router<ApiContext> {
        self.routes
            .iter()
            .fold(axum::Router::new(), |r, (path, handler)| {
                r.route(path, handler.clone())
            })
    }

    /// The OpenAPI 3.1 document.
    pub fn document(&self) -> Value {
        let settings = |s: SchemaSettings| {
            s.with(|s| {
                s.definitions_path = "/components/schemas".into();
                s.meta_schema = None;
            })
        };
        let mut reads = settings(SchemaSettings::draft2020_12().for_deserialize()).into_generator();
        let mut writes = settings(SchemaSettings::draft2020_12().for_serialize()).into_generator();
        let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
        let mut request_schemas = Vec::new();
        let error = writes.subschema_for::<ErrorBody>().to_value();
        for (method, path, op) in &self.ops {
            let mut parameters = Vec::new();
            for (name, text, schema) in &op.params {
                parameters.push(json!({
                    "name": name, "in": "path", "required": true,
                    "description": text, "schema": schema(&mut reads).to_value(),
                }));
            }
            if let Some(query) = op.query {
                let root = query(&mut reads).to_value();
                let root = resolve(&root, &reads);
                let required: Vec<&str> = root["required"]
                    .as_array()
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if let Some(props) = root["properties"].as_object() {
                    for (name, schema) in props {
                        let mut schema = schema.clone();
                        let description =
                            schema.as_object_mut().and_then(|s| s.remove("description"));
                        let mut p = json!({
                            "name": name, "in": "query",
                            "required": required.contains(&name.as_str()),
                            "schema": schema,
                        });
                        if let Some(d) = description {
                            p["description"] = d;
                        }
                        parameters.push(p);
                    }
                }
            }
            let mut operation = json!({
                "operationId": op.id,
                "tags": [op.tag],
                "summary": op.summary,
            });
            if let Some(d) = op.description {
                operation["description"] = json!(d);
            }
            if !parameters.is_empty() {
                operation["parameters"] = json!(parameters);
            }
            if let Some((schema, required)) = op.body {
                let schema = schema(&mut reads).to_value();
                request_schemas.push((path.to_string(), method.to_string()));
                operation["requestBody"] = json!({
                    "required": required,
                    "content": {"application/json": {"schema": schema}},
                });
            }
            // (Generated even when the responses are written by hand: they
            // refer to its definition.)
            let answer = op.answer.map(|a| a(&mut writes).to_value());
            let mut responses = match &op.raw_responses {
                Some(r) => r.as_object().cloned().unwrap_or_default(),
                None => {
                    let mut ok = json!({"description": "done"});
                    if let Some(answer) = answer {
                        ok["content"] = json!({"application/json": {"schema": answer}});
                    }
                    let mut m = Map::new();
                    m.insert(op.ok.to_string(), ok);
                    m
                }
            };
            let mut errors = op.errors.clone();
            if !op.open {
                errors.extend([401, 403]);
                operation["security"] = json!([{"bearer": []}]);
            } else {
                errors.insert(403);
                operation["security"] = json!([]);
            }
            for status in errors {
                responses.insert(
                    status.to_string(),
                    json!({
                        "description": reason(status),
                        "content": {"application/json": {"schema": error}},
                    }),
                );
            }
            operation["responses"] = Value::Object(responses);
            paths
                .entry(path)
                .or_default()
                .insert(method.to_string(), operation);
        }
        let mut schemas = writes.take_definitions(true);
        // What requests read may differ from what answers write (defaults
        // are optional when read): those get a name of their own.
        let read_defs = reads.take_definitions(true);
        let renamed: BTreeSet<String> = read_defs
            .iter()
            .filter(|(name, schema)| schemas.get(*name).is_some_and(|s| s != *schema))
            .map(|(name, _)| name.clone())
            .collect();
        let mut paths = serde_json::to_value(paths).unwrap_or_default();
        // (Read with get_mut: indexing would add the keys it misses.)
        for (path, method) in &request_schemas {
            let mut op = paths
                .get_mut(path.as_str())
                .and_then(|p| p.get_mut(method.as_str()));
            for key in ["requestBody", "parameters"] {
                if let Some(v) = op.as_deref_mut().and_then(|o| o.get_mut(key)) {
                    rename_refs(v, &renamed);
                }
            }
        }
        for (name, mut schema) in read_defs {
            rename_refs(&mut schema, &renamed);
            let name = if renamed.contains(&name) {
                format!("{name}Input")
            } else {
                name
            };
            schemas.entry(name).or_insert(schema);
        }
        json!({
            "openapi": "3.1.0",
            "info": {
                "title": "Hookswitch local API",
                "version": env!("CARGO_PKG_VERSION"),
                "description": "The phone's actions, state and events over HTTP: \
                    the same vocabulary as the control socket and the window \
                    (docs/api.md).",
                "license": {"name": "GPL-3.0-or-later", "identifier": "GPL-3.0-or-later"},
            },
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "bearer": {
                        "type": "http", "scheme": "bearer",
                        "description": "`hookswitch api token` shows it.",
                    },
                },
            },
        })
    }
}

/// A `$ref` to a definition, followed once (query structs are objects).
fn resolve(schema: &Value, g: &SchemaGenerator) -> Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap_or("");
            g.definitions().get(name).cloned().unwrap_or(Value::Null)
        }
        None => schema.clone(),
    }
}

fn rename_refs(value: &mut Value, renamed: &BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "$ref"
                    && let Value::String(r) = v
                    && let Some(name) = r.strip_prefix("#/components/schemas/")
                    && renamed.contains(name)
                {
                    *r = format!("#/components/schemas/{name}Input");
                } else {
                    rename_refs(v, renamed);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_refs(v, renamed)),
        _ => {}
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "the request is not one this API takes: `field` names what",
        401 => "no token, or not the token",
        403 => "not this API's host name, or an origin not listed in api.cors_origins",
        404 => "no such thing",
        406 => "neither a WebSocket upgrade nor Accept: text/event-stream",
        409 => "not now: the call or the phone is not in a state for it",
        413 => "too large",
        415 => "the body is not application/json",
        422 => "understood but not possible: an unknown address, device or file",
        502 => "the far end refused or did not answer",
        503 => "the phone is stopping",
        _ => "error",
    }
}
