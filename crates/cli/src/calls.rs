//! `hookswitch call` and `hookswitch listen`: one engine, a few calls, printed as
//! they go, with exit codes for scripts.

use std::time::Duration;

use anyhow::Context;
use hookswitch_phone::config::EchoMode;
use hookswitch_phone::{Action, AudioSpec, CallId, Config, Engine, PhoneEvent, Reply};
use tokio::sync::broadcast;

use crate::cli::{AudioArgs, CallArgs, Cli, ListenArgs};
use crate::daemon::{load_config, passwords, print_event, start_engine, stop_signal};
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

/// Follows one call to its end: hangs up on --duration, at the end of --play,
/// on Ctrl-C; returns whether it was established.
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
    let mut hangup_at = answer_timeout.and_then(after);
    let mut hung_up = false;
    loop {
        tokio::select! {
            e = next(events) => {
                let Some(e) = e else { return Ok(established) };
                if e.call() != Some(call) {
                    if !matches!(e, PhoneEvent::Ready { .. }) {
                        print_event(cli, &e);
                    }
                    continue;
                }
                print_event(cli, &e);
                match e {
                    PhoneEvent::Established { .. } if !established => {
                        established = true;
                        hangup_at = audio.duration.and_then(after);
                        if let Some(keys) = dtmf {
                            engine
                                .act(Action::Dtmf { call, keys: keys.to_string() })
                                .await
                                .context("sending DTMF")?;
                        }
                    }
                    PhoneEvent::PlaybackFinished { .. } if audio.duration.is_none() && established && !hung_up => {
                        // Let the last packets and any DTMF drain before the BYE.
                        hangup_at = after(0.3);
                    }
                    PhoneEvent::Ended { .. } => return Ok(established),
                    _ => {}
                }
            }
            _ = until(hangup_at), if !hung_up => {
                hung_up = true;
                hangup_at = None;
                let _ = engine.act(Action::Hangup { call: Some(call) }).await;
            }
            _ = stop_signal(), if !hung_up => {
                hung_up = true;
                let _ = engine.act(Action::Hangup { call: Some(call) }).await;
            }
        }
    }
}

/// A running `hookswitch run` owns the headsets: a second process driving
/// the same LEDs would fight it, so `call` and `listen` leave them alone then.
fn leave_devices_to_a_running_phone(cli: &Cli, config: &mut Config) {
    if config.devices.enabled && std::os::unix::net::UnixStream::connect(cli.control_path()).is_ok()
    {
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
    let (engine, mut events) = start_engine(cli, &config, &passwords).await?;
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
    if !cli.json {
        println!("call {call}: calling {}", args.target);
    }
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
    engine.shutdown().await;
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
    let passwords = passwords(&config, None)?;
    let (engine, mut events) = start_engine(cli, &config, &passwords).await?;
    let mut ended = 0u32;
    let mut last_established = false;
    loop {
        if args.count.is_some_and(|n| ended >= n) {
            break;
        }
        let e = tokio::select! {
            e = next(&mut events) => e,
            _ = stop_signal() => break,
        };
        let Some(e) = e else { break };
        print_event(cli, &e);
        if matches!(e, PhoneEvent::Ended { .. }) {
            // A call we let ring (no --auto-answer) ended: the caller gave up.
            ended += 1;
            continue;
        }
        let PhoneEvent::IncomingCall {
            call, answer_after, ..
        } = e
        else {
            continue;
        };
        if let Some(status) = args.reject {
            engine.act(Action::Reject { call, status }).await?;
            // Wait for that call's end.
            while let Some(e) = next(&mut events).await {
                print_event(cli, &e);
                if matches!(e, PhoneEvent::Ended { call: c, .. } if c == call) {
                    break;
                }
            }
            ended += 1;
            last_established = false;
            continue;
        }
        if !args.auto_answer {
            continue;
        }
        if let Some(delay) = answer_after.or(args.answer_after).filter(|d| *d > 0) {
            tokio::time::sleep(Duration::from_secs(u64::from(delay))).await;
        }
        let answer = Action::Answer {
            call,
            audio: Some(audio_spec(&args.audio)),
        };
        if let Err(e) = engine.act(answer).await {
            eprintln!("hookswitch: cannot answer call {call}: {e}");
        }
        last_established =
            follow_call(cli, &engine, &mut events, call, &args.audio, None, None).await?;
        ended += 1;
    }
    engine.shutdown().await;
    Ok(
        if last_established || args.count.is_none() || args.reject.is_some() {
            exit::OK
        } else {
            exit::CALL_FAILED
        },
    )
}
