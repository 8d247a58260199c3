//! Transfers: asking the peer to call someone else (blind, or attended with
//! Replaces), and doing what a peer asks (calling the target it names and
//! telling it how that goes).

use std::time::Instant;

use hookswitch_sip::message::{HeaderName, Uri};
use hookswitch_sip::ua;

use super::calls::map_ua_error;
use super::{Origin, PhoneCore};
use crate::error::EngineError;
use crate::event::{CallId, PhoneEvent};

impl PhoneCore {
    /// Blind transfer: REFER the peer of `call` to `target`. When the peer
    /// reports the new call answered, our call to it is hung up.
    pub(super) fn transfer(
        &mut self,
        now: Instant,
        call: CallId,
        target: &str,
    ) -> Result<(), EngineError> {
        let info = self
            .ua
            .call_info(ua::CallId(call))
            .ok_or(EngineError::NoSuchCall(call))?;
        let uri = super::target_uri(target, self.aor(info.account))?;
        self.ua
            .refer(now, ua::CallId(call), &uri)
            .map_err(|e| map_ua_error(e, call))?;
        self.transfers_out.insert(call);
        Ok(())
    }

    /// Attended transfer: the peer of `call` is asked to call the peer of
    /// `consult` with Replaces; when it reports success, `call` ends here and
    /// `consult` is ended by its peer (the replacing call takes its place).
    pub(super) fn transfer_attended(
        &mut self,
        now: Instant,
        call: CallId,
        consult: CallId,
    ) -> Result<(), EngineError> {
        if call == consult {
            return Err(EngineError::WrongState);
        }
        self.ua
            .refer_replacing(now, ua::CallId(call), ua::CallId(consult))
            .map_err(|e| map_ua_error(e, call))?;
        self.transfers_out.insert(call);
        Ok(())
    }

    /// The peer reports on the transfer we asked for.
    pub(super) fn on_transfer_progress(
        &mut self,
        now: Instant,
        call: CallId,
        status: u16,
        done: bool,
    ) {
        if !self.transfers_out.contains(&call) {
            return;
        }
        self.emit(now, PhoneEvent::TransferProgress { call, status, done });
        if done {
            self.transfers_out.remove(&call);
            self.connected_others(now, call, status);
            // Transferred: our part of the call is over (RFC 5589 6.1).
            if (200..300).contains(&status)
                && let Err(e) = self.ua.hangup(now, ua::CallId(call))
            {
                tracing::debug!(call, "hanging up after the transfer: {e}");
            }
        }
    }

    /// The peer asks us to call `target` (the REFER was accepted): the new call
    /// goes from the same account with the same sound, and carries Replaces
    /// (attended transfer) and Referred-By when the REFER had them.
    pub(super) fn on_transfer_requested(
        &mut self,
        call: ua::CallId,
        target: Uri,
        replaces: Option<String>,
        referred_by: Option<String>,
    ) {
        let account = self.ua.call_info(call).and_then(|i| i.account);
        let audio = self.calls.get(&call.0).map(|c| c.audio.clone());
        let mut headers = Vec::new();
        if let Some(r) = replaces {
            headers.push((HeaderName::Replaces, r));
        }
        if let Some(r) = referred_by {
            headers.push((HeaderName::ReferredBy, r));
        }
        let origin = Origin::Transfer { asked_in: call.0 };
        match self.placing(target, account, audio, origin, headers) {
            Ok(p) => self.prepare_place(p),
            Err(e) => self.place_failed(origin, e),
        }
    }

    /// The call we placed for a transfer could not even start.
    pub(super) fn report_failed_transfer(&mut self, asked_in: CallId) {
        let _ = self.ua.notify_transfer(self.now, ua::CallId(asked_in), 503);
    }

    /// A call placed for a transfer reached `status`: the peer that asked hears
    /// of its answer (200) or failure; provisional answers are not reported.
    pub(super) fn report_transfer(&mut self, now: Instant, new_call: CallId, status: u16) {
        if status < 200 {
            return;
        }
        if let Some(asked_in) = self.transfers_in.remove(&new_call)
            && let Err(e) = self.ua.notify_transfer(now, ua::CallId(asked_in), status)
        {
            tracing::debug!(new_call, "cannot report the transfer: {e}");
        }
    }
}
