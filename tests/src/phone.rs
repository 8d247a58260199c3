//! Shorthands for the tests: each is one `Engine::act` with one `Action` (the
//! engine itself has a single verb), so a scenario reads as what a user does.

use hookswitch_phone::call_handling::ForwardReason;
use hookswitch_phone::{Action, AudioSpec, CallId, CallStats, Engine, EngineError, Reply};

#[allow(async_fn_in_trait)]
pub trait Phone {
    async fn call(
        &self,
        target: &str,
        account: Option<&str>,
        audio: AudioSpec,
    ) -> Result<CallId, EngineError>;
    async fn answer(&self, call: CallId, audio: AudioSpec) -> Result<(), EngineError>;
    async fn reject(&self, call: CallId, status: u16) -> Result<(), EngineError>;
    async fn hangup(&self, call: Option<CallId>) -> Result<(), EngineError>;
    async fn send_dtmf(&self, call: CallId, keys: &str) -> Result<(), EngineError>;
    async fn set_mute(&self, call: CallId, muted: bool) -> Result<(), EngineError>;
    async fn set_hold(&self, call: CallId, held: bool) -> Result<(), EngineError>;
    async fn set_dnd(&self, account: Option<&str>, on: bool) -> Result<(), EngineError>;
    async fn set_forward(
        &self,
        account: Option<&str>,
        when: ForwardReason,
        target: Option<String>,
    ) -> Result<(), EngineError>;
    async fn transfer(&self, call: CallId, target: &str) -> Result<(), EngineError>;
    async fn transfer_attended(&self, call: CallId, to_call: CallId) -> Result<(), EngineError>;
    async fn set_volume(
        &self,
        call: CallId,
        speaker: Option<u16>,
        microphone: Option<u16>,
    ) -> Result<(), EngineError>;
    async fn call_stats(&self, call: CallId) -> Result<CallStats, EngineError>;
}

fn done(r: Result<Reply, EngineError>) -> Result<(), EngineError> {
    r.map(|_| ())
}

impl Phone for Engine {
    async fn call(
        &self,
        target: &str,
        account: Option<&str>,
        audio: AudioSpec,
    ) -> Result<CallId, EngineError> {
        let placed = self
            .act(Action::Call {
                target: target.to_string(),
                account: account.map(str::to_string),
                audio: Some(audio),
            })
            .await?;
        match placed {
            Reply::Call(call) => Ok(call),
            _ => Err(EngineError::WrongState),
        }
    }

    async fn answer(&self, call: CallId, audio: AudioSpec) -> Result<(), EngineError> {
        let audio = Some(audio);
        done(self.act(Action::Answer { call, audio }).await)
    }

    async fn reject(&self, call: CallId, status: u16) -> Result<(), EngineError> {
        done(self.act(Action::Reject { call, status }).await)
    }

    async fn hangup(&self, call: Option<CallId>) -> Result<(), EngineError> {
        done(self.act(Action::Hangup { call }).await)
    }

    async fn send_dtmf(&self, call: CallId, keys: &str) -> Result<(), EngineError> {
        let keys = keys.to_string();
        done(self.act(Action::Dtmf { call, keys }).await)
    }

    async fn set_mute(&self, call: CallId, muted: bool) -> Result<(), EngineError> {
        done(self.act(Action::Mute { call, muted }).await)
    }

    async fn set_hold(&self, call: CallId, held: bool) -> Result<(), EngineError> {
        done(self.act(Action::Hold { call, held }).await)
    }

    async fn set_dnd(&self, account: Option<&str>, on: bool) -> Result<(), EngineError> {
        let account = account.map(str::to_string);
        done(self.act(Action::Dnd { on, account }).await)
    }

    async fn set_forward(
        &self,
        account: Option<&str>,
        when: ForwardReason,
        target: Option<String>,
    ) -> Result<(), EngineError> {
        let account = account.map(str::to_string);
        let action = Action::Forward {
            when,
            target,
            account,
        };
        done(self.act(action).await)
    }

    async fn transfer(&self, call: CallId, target: &str) -> Result<(), EngineError> {
        let target = target.to_string();
        done(self.act(Action::Transfer { call, target }).await)
    }

    async fn transfer_attended(&self, call: CallId, to_call: CallId) -> Result<(), EngineError> {
        done(self.act(Action::TransferAttended { call, to_call }).await)
    }

    async fn set_volume(
        &self,
        call: CallId,
        speaker: Option<u16>,
        microphone: Option<u16>,
    ) -> Result<(), EngineError> {
        let action = Action::Volume {
            call,
            speaker,
            microphone,
        };
        done(self.act(action).await)
    }

    async fn call_stats(&self, call: CallId) -> Result<CallStats, EngineError> {
        match self.act(Action::Stats { call }).await? {
            Reply::Stats(s) => Ok(*s),
            _ => Err(EngineError::WrongState),
        }
    }
}
