//! Recording a call from a face (the window's button, `hookswitch record`):
//! the core asks the call's media to start or stop a whole-call recording
//! in the configured folder; the media says where it went, or why it could
//! not, and the call and its history entry show it.

use hookswitch_sip::message::{NameAddr, Uri};

use super::{MediaCommand, Output, PhoneCore};
use crate::error::EngineError;
use crate::event::CallId;

/// Where a recording goes: the folder, and what names the file besides the
/// time (the other party, as the user agent knows them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordTo {
    pub folder: std::path::PathBuf,
    pub label: String,
}

impl PhoneCore {
    /// Starts (`on`) or stops recording `call`, both ways, to a stereo WAV
    /// file in the recording folder.
    pub(super) fn record(&mut self, call: CallId, on: bool) -> Result<(), EngineError> {
        self.running(call)?;
        let to = on.then(|| RecordTo {
            folder: self.settings.recording_folder.clone(),
            label: self
                .state
                .call(call)
                .map(|c| file_label(&c.remote))
                .unwrap_or_default(),
        });
        self.outputs.push_back(Output::Media {
            call,
            command: MediaCommand::Record(to),
        });
        Ok(())
    }
}

/// The other party as a file name may hold it: the user part of their
/// address (a `tel:` URI's number), with anything but letters, digits and
/// `+-_.` taken out, at most 40 characters.
pub fn file_label(remote: &str) -> String {
    let uri = remote.parse::<NameAddr>().map(|a| a.uri);
    let user = match &uri {
        Ok(Uri::Sip(sip)) => sip.user.as_deref().unwrap_or_default(),
        Ok(Uri::Other { opaque, .. }) => opaque.split(';').next().unwrap_or_default(),
        // Not an address: what stands before its host or parameters.
        Err(_) => remote.split(['@', ';']).next().unwrap_or_default(),
    };
    user.chars()
        .filter(|c| c.is_alphanumeric() || "+-_.".contains(*c))
        .take(40)
        .collect::<String>()
        .trim_start_matches('.')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::file_label;

    #[test]
    fn a_file_label_is_the_user_part_without_what_a_path_cannot_hold() {
        assert_eq!(file_label("\"Bob\" <sip:bob@example.org>"), "bob");
        assert_eq!(file_label("sip:+4930123@pbx;user=phone"), "+4930123");
        assert_eq!(file_label("<sip:../../etc/passwd@x>"), "etcpasswd");
        assert_eq!(file_label("tel:+1-555-0100"), "+1-555-0100");
        assert_eq!(
            file_label("<tel:+1-555-0100;phone-context=x>"),
            "+1-555-0100"
        );
        assert_eq!(file_label(""), "");
    }
}
