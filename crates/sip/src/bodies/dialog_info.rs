//! The dialog event package's documents (RFC 4235), read for busy lamps:
//! which calls an extension has, in which state, with whom; merged across
//! full and partial notifications (RFC 4235 4.1) into one lamp: idle,
//! ringing (with the caller, and the dialog's identifiers for a directed
//! pickup), or busy.

use std::collections::BTreeMap;

use super::xml::{self, Element, XmlError};

pub const CONTENT_TYPE: &str = "application/dialog-info+xml";

/// Dialogs kept per watched extension (a lamp needs a handful).
const MAX_DIALOGS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    Trying,
    Proceeding,
    Early,
    Confirmed,
    Terminated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The extension placed the call.
    Initiator,
    /// The call came to the extension.
    Recipient,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    pub id: String,
    pub call_id: Option<String>,
    pub local_tag: Option<String>,
    pub remote_tag: Option<String>,
    pub direction: Option<Direction>,
    pub state: DialogState,
    /// The other party (`remote/identity`), and their display name.
    pub remote: Option<String>,
    pub remote_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogInfo {
    pub entity: String,
    pub version: u64,
    /// `full`: these are all the dialogs; `partial`: only those changed.
    pub full: bool,
    pub dialogs: Vec<Dialog>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialogInfoError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("not a dialog-info document (root <{0}>)")]
    NotDialogInfo(String),
    #[error("dialog-info without a {0}")]
    Missing(&'static str),
    #[error("dialog-info version {got} is older than {had}")]
    Stale { got: u64, had: u64 },
}

pub fn parse(body: &[u8]) -> Result<DialogInfo, DialogInfoError> {
    let root = xml::parse(body)?;
    if root.name != "dialog-info" {
        return Err(DialogInfoError::NotDialogInfo(root.name));
    }
    let version = root
        .attribute("version")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or(DialogInfoError::Missing("version"))?;
    let full = match root.attribute("state") {
        Some("full") => true,
        Some("partial") => false,
        _ => return Err(DialogInfoError::Missing("state of full or partial")),
    };
    let entity = root.attribute("entity").unwrap_or_default().to_string();
    let dialogs = root
        .children_named("dialog")
        .take(MAX_DIALOGS)
        .filter_map(dialog_of)
        .collect();
    Ok(DialogInfo {
        entity,
        version,
        full,
        dialogs,
    })
}

/// A dialog element; one without an id or a known state is skipped.
fn dialog_of(e: &Element) -> Option<Dialog> {
    let id = e.attribute("id")?.to_string();
    let state = match e.child_text("state")? {
        "trying" => DialogState::Trying,
        "proceeding" => DialogState::Proceeding,
        "early" => DialogState::Early,
        "confirmed" => DialogState::Confirmed,
        "terminated" => DialogState::Terminated,
        _ => return None,
    };
    let direction = match e.attribute("direction") {
        Some("initiator") => Some(Direction::Initiator),
        Some("recipient") => Some(Direction::Recipient),
        _ => None,
    };
    let remote = e.child("remote");
    let identity = remote.and_then(|r| r.child("identity"));
    let text = |s: Option<&str>| {
        s.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Some(Dialog {
        id,
        call_id: text(e.attribute("call-id")),
        local_tag: text(e.attribute("local-tag")),
        remote_tag: text(e.attribute("remote-tag")),
        direction,
        state,
        remote: text(identity.map(|i| i.text.as_str())).or_else(|| {
            text(
                remote
                    .and_then(|r| r.child("target"))
                    .and_then(|t| t.attribute("uri")),
            )
        }),
        remote_name: text(identity.and_then(|i| i.attribute("display"))),
    })
}

/// A busy lamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lamp {
    Idle,
    /// A call rings at the extension: from whom (when the server says), and
    /// the dialog, for a directed pickup when its identifiers are given.
    Ringing {
        caller: Option<String>,
        caller_name: Option<String>,
        dialog: Box<Dialog>,
    },
    /// In a call, or placing one.
    Busy,
}

/// What a lamp shows, from the dialog-info notifications of one
/// subscription, full and partial, in version order.
#[derive(Debug, Clone, Default)]
pub struct LampState {
    version: Option<u64>,
    dialogs: BTreeMap<String, Dialog>,
}

impl LampState {
    /// Takes a notification in: a full one replaces what was known, a
    /// partial one updates it. An older version is refused (RFC 4235 4.1:
    /// the subscriber discards it).
    pub fn apply(&mut self, info: DialogInfo) -> Result<(), DialogInfoError> {
        if let Some(had) = self.version
            && info.version < had
        {
            return Err(DialogInfoError::Stale {
                got: info.version,
                had,
            });
        }
        // A gap in partial versions means something was missed; the full
        // state comes with the next refresh, and meanwhile the partial
        // one is the best knowledge there is.
        if info.full {
            self.dialogs.clear();
        }
        for d in info.dialogs {
            if d.state == DialogState::Terminated {
                self.dialogs.remove(&d.id);
            } else if self.dialogs.len() < MAX_DIALOGS || self.dialogs.contains_key(&d.id) {
                self.dialogs.insert(d.id.clone(), d);
            }
        }
        self.version = Some(info.version);
        Ok(())
    }

    /// Ringing wins over busy (it is what a pickup can take), busy over idle.
    pub fn lamp(&self) -> Lamp {
        let ringing = self.dialogs.values().find(|d| {
            d.direction != Some(Direction::Initiator)
                && matches!(
                    d.state,
                    DialogState::Early | DialogState::Proceeding | DialogState::Trying
                )
        });
        if let Some(d) = ringing {
            return Lamp::Ringing {
                caller: d.remote.clone(),
                caller_name: d.remote_name.clone(),
                dialog: Box::new(d.clone()),
            };
        }
        if self.dialogs.is_empty() {
            Lamp::Idle
        } else {
            Lamp::Busy
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 4235 4.1's examples, and what kamailio's presence_dialoginfo sends.
    const EARLY: &str = r#"<?xml version="1.0"?>
   <dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info"
                version="1" state="full"
                entity="sip:2000@example.com">
     <dialog id="as7d900as8" call-id="a84b4c76e66710" local-tag="1928301774" remote-tag="8321234356" direction="recipient">
       <state>early</state>
       <remote><identity display="Alice">sip:alice@example.com</identity><target uri="sip:alice@pc33.example.com"/></remote>
     </dialog>
   </dialog-info>"#;

    #[test]
    fn a_ringing_extension_then_talking_then_idle() {
        let mut lamp = LampState::default();
        assert_eq!(lamp.lamp(), Lamp::Idle);
        lamp.apply(parse(EARLY.as_bytes()).unwrap()).unwrap();
        match lamp.lamp() {
            Lamp::Ringing {
                caller,
                caller_name,
                dialog,
            } => {
                assert_eq!(caller.as_deref(), Some("sip:alice@example.com"));
                assert_eq!(caller_name.as_deref(), Some("Alice"));
                assert_eq!(dialog.call_id.as_deref(), Some("a84b4c76e66710"));
                assert_eq!(dialog.local_tag.as_deref(), Some("1928301774"));
                assert_eq!(dialog.remote_tag.as_deref(), Some("8321234356"));
            }
            other => panic!("{other:?}"),
        }
        let confirmed = EARLY
            .replace("early", "confirmed")
            .replace("version=\"1\"", "version=\"2\"")
            .replace("state=\"full\"", "state=\"partial\"");
        lamp.apply(parse(confirmed.as_bytes()).unwrap()).unwrap();
        assert_eq!(lamp.lamp(), Lamp::Busy);
        // An older notification arriving late changes nothing.
        assert!(matches!(
            lamp.apply(parse(EARLY.as_bytes()).unwrap()),
            Err(DialogInfoError::Stale { got: 1, had: 2 })
        ));
        assert_eq!(lamp.lamp(), Lamp::Busy);
        let over = r#"<dialog-info version="3" state="full" entity="sip:2000@example.com"/>"#;
        lamp.apply(parse(over.as_bytes()).unwrap()).unwrap();
        assert_eq!(lamp.lamp(), Lamp::Idle);
    }

    #[test]
    fn an_extension_calling_out_is_busy_not_ringing() {
        let out = EARLY.replace("recipient", "initiator");
        let mut lamp = LampState::default();
        lamp.apply(parse(out.as_bytes()).unwrap()).unwrap();
        assert_eq!(lamp.lamp(), Lamp::Busy);
    }

    #[test]
    fn bad_documents_are_errors() {
        assert!(matches!(
            parse(b"<presence/>"),
            Err(DialogInfoError::NotDialogInfo(_))
        ));
        assert!(matches!(
            parse(b"<dialog-info state='full'/>"),
            Err(DialogInfoError::Missing(_))
        ));
        assert!(matches!(
            parse(b"<dialog-info version='1'/>"),
            Err(DialogInfoError::Missing(_))
        ));
        // A dialog without an id or with an unknown state is skipped.
        let odd = br#"<dialog-info version="1" state="full" entity="x"><dialog><state>early</state></dialog><dialog id="d"><state>ringing</state></dialog></dialog-info>"#;
        assert!(parse(odd).unwrap().dialogs.is_empty());
    }
}
