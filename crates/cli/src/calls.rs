//! `hookswitch call` and `hookswitch listen`: one engine, a few calls, printed as
//! they go, with exit codes for scripts.

use std::time::Duration;

use anyhow::Context;
use hookswitch_phone::config::EchoMode;
use hookswitch_phone::{
    Action, AudioSpec, CallId, Config, Engine, PhoneEvent, Reply, StartOptions,
};
use tokio::sync::broadcast;

use crate::cli::{AudioArgs, CallArgs, Cli, ListenArgs};
use crate::conversations::Conversations;
use crate::daemon::{
    ControlServer, finish, load_config, passwords, print_event, start_engine, start_engine_with,
    stop_signal,
};
use crate::exit;

fn audio_spec(a: &AudioArgs) -> AudioSpec {
    AudioSpec {
        play: a.play.clone(),
        tone_hz: a.tone,
        record: a.record.clone(),
        microphone: a.mic.clone(),
        speaker: a.speaker.clone(),
        record_call: a.record_call.clone(),
        echo_cancellation: a.echo_cancellation.as_deref().map(|m| match m {
            "on" => EchoMode::On,
            "off" => EchoMode::Off,
            _ => EchoMode::Auto,
        }),
    }
}

/// A timer that may or may not be armed.
async fn until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

fn after(seconds: f64) -> Option<tokio::time::Instant> {
    Some(tokio::time::Instant::now() + Duration::from_secs_f64(seconds.max(0.0)))
}

async fn next(events: &mut broadcast::Receiver<PhoneEvent>) -> Option<PhoneEvent> {
    loop {
        match events.recv().await {
            Ok(e) => return Some(e),
            Err(broadcast::error::RecvError::Lagged(n)) => tracing::warn!("{n} events were missed"),
            Err(broadcast::error::RecvError::Closed) => return None,
        }
    }
}

/// Follows one call to its end, and the calls that carry it on after a
/// transfer: hangs each up `--duration` after it is established (or at the
/// end of --play), all on Ctrl-C; returns whether one was established.
async fn follow_call(
    cli: &Cli,
    engine: &Engine,
    events: &mut broadcast::Receiver<PhoneEvent>,
    call: CallId,
    audio: &AudioArgs,
    dtmf: Option<&str>,
    answer_timeout: Option<f64>,
) -> anyhow::Result<bool> {
    let mut established = false;
    let mut conversations = Conversations::default();
    // When each call of the conversation is to be hung up.
    let mut hangups: std::collections::BTreeMap<CallId, Option<tokio::time::Instant>> =
        [(call, answer_timeout.and_then(after))].into();
    let mut interrupted = false;
    loop {
        let due = hangups
            .iter()
            .filter_map(|(c, at)| at.map(|at| (at, *c)))
            .min();
        tokio::select! {
            e = next(events) => {
                let Some(e) = e else { return Ok(established) };
                let over = conversations.observe(&e);
                let Some(this) = e.call().filter(|c| conversations.same(*c, call)) else {
                    if !matches!(e, PhoneEvent::Ready { .. }) {
                        print_event(cli, &e);
                    }
                    continue;
                };
                print_event(cli, &e);
                match e {
                    PhoneEvent::Established { .. } => {
                        let first = !established;
                        established = true;
                        hangups.insert(this, audio.duration.and_then(after));
                        if first && let Some(keys) = dtmf {
                            engine
                                .act(Action::Dtmf { call: this, keys: keys.to_string() })
                                .await
                                .context("sending DTMF")?;
                        }
                    }
                    PhoneEvent::PlaybackFinished { .. } if audio.duration.is_none() && hangups.contains_key(&this) => {
                        // Let the last packets and any DTMF drain before the BYE.
                        hangups.insert(this, after(0.3));
                    }
                    PhoneEvent::Ended { .. } => {
                        hangups.remove(&this);
                        if over.is_some() {
                            return Ok(established);
                        }
                    }
                    _ => {}
                }
            }
            _ = until(due.map(|(at, _)| at)) => {
                if let Some((_, c)) = due {
                    hangups.insert(c, None);
                    let _ = engine.act(Action::Hangup { call: Some(c) }).await;
                }
            }
            _ = stop_signal(), if !interrupted => {
                interrupted = true;
                for c in hangups.keys() {
                    let _ = engine.act(Action::Hangup { call: Some(*c) }).await;
                }
            }
        }
    }
}

/// A running `hookswitch run` owns the headsets: a second process driving
/// the same LEDs would fight it, so `call` and `listen` leave them alone then.
fn leave_devices_to_a_running_phone(cli: &Cli, config: &mut Config) {
    let running = cli
        .control_path()
        .is_ok_and(|path| std::os::unix::net::UnixStream::connect(path).is_ok());
    if config.devices.enabled && running {
        config.devices.enabled = false;
        eprintln!(
            "hookswitch: a running `hookswitch run` has the headsets; this call leaves them alone"
        );
    }
}

pub async fn call(cli: &Cli, args: &CallArgs) -> anyhow::Result<u8> {
    let mut config = load_config(cli)?;
    leave_devices_to_a_running_phone(cli, &mut config);
    let passwords = passwords(&config, args.account.as_deref())?;
    let control = ControlServer::bind_if_asked(cli).await?;
    let (engine, mut events) = start_engine(cli, &config, &passwords).await?;
    let _control = ControlServer::serve(cli, &engine, control);
    let placed = engine
        .act(Action::Call {
            target: args.target.clone(),
            account: args.account.clone(),
            audio: Some(audio_spec(&args.audio)),
        })
        .await?;
    let Reply::Call(call) = placed else {
        anyhow::bail!("the phone placed no call: {placed:?}");
    };
    let established = follow_call(
        cli,
        &engine,
        &mut events,
        call,
        &args.audio,
        args.dtmf.as_deref(),
        Some(args.timeout),
    )
    .await?;
    finish(&engine).await;
    Ok(if established {
        exit::OK
    } else {
        exit::CALL_FAILED
    })
}

pub async fn listen(cli: &Cli, args: &ListenArgs) -> anyhow::Result<u8> {
    let mut config = load_config(cli)?;
    leave_devices_to_a_running_phone(cli, &mut config);
    // Listening is asking for calls, also those that come to no account.
    config.sip.accept_p2p = true;
    if args.auto_answer {
        // The phone answers by itself (its own rule, as `[calls] auto_answer`
        // says), every call however many come, with this command's sound.
        let after = args.answer_after.unwrap_or(0);
        for table in std::iter::once(&mut config.calls)
            .chain(config.accounts.iter_mut().filter_map(|a| a.calls.as_mut()))
        {
            table.auto_answer = Some(after);
            table.auto_answer_when_asked = true;
        }
    }
    let passwords = passwords(&config, None)?;
    let options = StartOptions {
        answer_audio: Some(audio_spec(&args.audio)),
        directory: crate::daemon::open_directory(&config),
        ..StartOptions::default()
    };
    let control = ControlServer::bind_if_asked(cli).await?;
    let (engine, mut events) = start_engine_with(cli, &config, &passwords, options).await?;
    let _control = ControlServer::serve(cli, &engine, control);
    let mut ended = 0u32;
    let mut last_established = false;
    let mut conversations = Conversations::default();
    // Calls that were up and ended while their conversation goes on.
    let mut talked: std::collections::BTreeSet<CallId> = Default::default();
    // Calls up, and when each is to be hung up (--duration, the end of --play).
    let mut up: std::collections::BTreeMap<CallId, Option<tokio::time::Instant>> =
        Default::default();
    loop {
        if args.count.is_some_and(|n| ended >= n) {
            break;
        }
        let due = up.iter().filter_map(|(c, at)| at.map(|at| (at, *c))).min();
        let e = tokio::select! {
            e = next(&mut events) => e,
            _ = until(due.map(|(at, _)| at)) => {
                if let Some((_, call)) = due {
                    up.insert(call, None);
                    let _ = engine.act(Action::Hangup { call: Some(call) }).await;
                }
                continue;
            }
            _ = stop_signal() => break,
        };
        let Some(e) = e else { break };
        print_event(cli, &e);
        let over = conversations.observe(&e);
        match e {
            PhoneEvent::IncomingCall { call, .. } => {
                if let Some(status) = args.reject {
                    engine.act(Action::Reject { call, status }).await?;
                }
            }
            PhoneEvent::Established { call, .. } => {
                up.insert(call, args.audio.duration.and_then(after));
            }
            PhoneEvent::PlaybackFinished { call }
                if args.audio.duration.is_none() && up.contains_key(&call) =>
            {
                // Let the last packets drain before the BYE.
                up.insert(call, after(0.3));
            }
            PhoneEvent::Ended { call, .. } => {
                // Answered and ended, or refused, or given up while ringing;
                // a call a transfer carries on counts when the last one ends.
                let was_up = up.remove(&call).is_some();
                if over.is_some() {
                    let before = talked.len();
                    talked.retain(|c| !conversations.same(*c, call));
                    last_established = was_up || talked.len() < before;
                    ended += 1;
                } else if was_up {
                    talked.insert(call);
                }
            }
            _ => {}
        }
    }
    finish(&engine).await;
    Ok(
        if last_established || args.count.is_none() || args.reject.is_some() {
            exit::OK
        } else {
            exit::CALL_FAILED
        },
    )
}
