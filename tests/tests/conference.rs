//! The three-way conference mixed here, with two baresip parties playing
//! different tones over different codecs (G.711 at 8 kHz, G.722 at 16 kHz,
//! so the mix resamples). The second baresip's recording must hold our tone
//! and the first's, and not its own; what we sent the first (its own
//! recording stops at a re-INVITE, and its call was held and resumed) must
//! hold ours and the second's; our recording must hold both parties.
//! Then the ways a conference ends: we leave (every leg ends), a member
//! hangs up (the other goes on as an ordinary call), a member is held (it
//! leaves the mix).

use std::path::{Path, PathBuf};
use std::time::Duration;

use hookswitch_phone::{Action, AudioSpec, CallId, Engine, Passwords, PhoneEvent, Reply};
use hookswitch_tests::Phone;
use hookswitch_tests::baresip::Baresip;
use hookswitch_tests::{
    Process, expect_event, expect_state, free_port, start_engine, test_config, wait_until,
    write_tone_channels,
};
use tokio::sync::broadcast;

const T: Duration = Duration::from_secs(20);
const OUR_HZ: f64 = 1000.0;
const FIRST_HZ: f64 = 600.0;
const SECOND_HZ: f64 = 1700.0;

struct Party {
    baresip: Baresip,
    process: Process,
}

/// A baresip answering by itself, playing `hz` through `codec`.
fn party(dir: &Path, name: &str, hz: f64, codec: &str, rate: u32) -> Party {
    let tone = dir.join(format!("{name}.wav"));
    write_tone_channels(&tone, hz, rate, 60.0, 1);
    let baresip = Baresip::configure(dir, free_port(), &tone, codec, "udp");
    let process = baresip.start(90, None);
    Party { baresip, process }
}

/// Calls `party` playing our tone, recording the whole call to `record`.
async fn call(
    engine: &Engine,
    events: &mut broadcast::Receiver<PhoneEvent>,
    party: &Party,
    record: Option<PathBuf>,
) -> CallId {
    let audio = AudioSpec {
        tone_hz: Some(OUR_HZ),
        record_call: record,
        ..AudioSpec::default()
    };
    let target = format!("sip:bob@127.0.0.1:{}", party.baresip.port);
    hookswitch_tests::call_answered(engine, events, &target, audio, T).await
}

async fn packets_received(engine: &Engine, call: CallId) -> u64 {
    match engine.act(Action::Stats { call }).await {
        Ok(Reply::Stats(s)) => s.packets_received,
        other => panic!("stats of call {call}: {other:?}"),
    }
}

/// Waits until each call has received `frames` more packets: that much
/// audio has gone through the mix.
async fn let_audio_flow(engine: &Engine, calls: &[CallId], frames: u64) {
    let mut from = Vec::new();
    for call in calls {
        from.push(packets_received(engine, *call).await);
    }
    let deadline = tokio::time::Instant::now() + T;
    for (call, from) in calls.iter().zip(from) {
        while packets_received(engine, *call).await < from + frames {
            assert!(
                tokio::time::Instant::now() < deadline,
                "call {call} stopped receiving"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn merged(engine: &Engine, events: &mut broadcast::Receiver<PhoneEvent>) -> Vec<CallId> {
    let reply = engine.act(Action::Merge { calls: None }).await;
    assert!(reply.is_ok(), "merge: {reply:?}");
    expect_event(events, T, "the conference", |e| match e {
        PhoneEvent::Conference { calls } if calls.len() == 2 => Some(calls.clone()),
        _ => None,
    })
    .await
}

/// Waits until every call of `calls` has ended, in whatever order.
async fn ended(events: &mut broadcast::Receiver<PhoneEvent>, calls: &[CallId]) {
    let mut left = calls.to_vec();
    while !left.is_empty() {
        let call = expect_event(events, T, "the calls' end", |e| match e {
            PhoneEvent::Ended { call, .. } if left.contains(call) => Some(*call),
            _ => None,
        })
        .await;
        left.retain(|c| *c != call);
    }
}

/// The strength of each tone in `samples` (Goertzel power), in the order asked.
fn strengths(samples: &[i16], rate: u32, tones: &[f64]) -> Vec<f64> {
    tones
        .iter()
        .map(|hz| hookswitch_media::tone::goertzel_power(samples, *hz, rate))
        .collect()
}

/// `samples` hold every tone of `present` (each at least a tenth of the
/// strongest of them) and none of `absent` (under a hundredth).
fn assert_tones(what: &str, samples: &[i16], rate: u32, present: &[f64], absent: &[f64]) {
    let p = strengths(samples, rate, present);
    let a = strengths(samples, rate, absent);
    let loudest = p.iter().copied().fold(0.0, f64::max);
    assert!(loudest > 0.0, "{what}: silent ({} samples)", samples.len());
    for (hz, power) in present.iter().zip(&p) {
        assert!(
            *power > loudest / 10.0,
            "{what}: {hz} Hz is missing ({power:.3e} against {loudest:.3e}); present {p:?}, absent {a:?}"
        );
    }
    for (hz, power) in absent.iter().zip(&a) {
        assert!(
            *power < loudest / 100.0,
            "{what}: {hz} Hz should not be there ({power:.3e} against {loudest:.3e})"
        );
    }
}

/// The last `seconds` of a recording's channel `channel` (of `channels`).
fn tail(path: &Path, channel: usize, seconds: f64) -> (Vec<i16>, u32) {
    let reader = hound::WavReader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let spec = reader.spec();
    let channels = usize::from(spec.channels);
    let samples: Vec<i16> = reader
        .into_samples::<i16>()
        .map(|s| s.expect("sample"))
        .skip(channel)
        .step_by(channels)
        .collect();
    let n = (f64::from(spec.sample_rate) * seconds) as usize;
    let from = samples.len().saturating_sub(n);
    (samples[from..].to_vec(), spec.sample_rate)
}

/// The last two seconds of baresip's recording before the final 0.2 s
/// (the hang-up's edge).
fn baresip_heard(party: &Party) -> (Vec<i16>, u32) {
    let path = party
        .baresip
        .received_recording()
        .expect("baresip wrote what it received");
    let (all, rate) = hookswitch_tests::read_wav(&path);
    let end = all.len().saturating_sub(rate as usize / 5);
    let from = end.saturating_sub(rate as usize * 2);
    (all[from..end].to_vec(), rate)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_parties_hear_each_other_through_our_mix_and_leaving_ends_it() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (engine, mut events) = start_engine(&test_config(port), &Passwords::new()).await;
    let mut first = party(dir.path(), "first", FIRST_HZ, "PCMU/8000/1", 8000);
    let mut second = party(dir.path(), "second", SECOND_HZ, "G722/16000/1", 16000);
    let ours = dir.path().join("ours.wav");

    let call1 = call(&engine, &mut events, &first, Some(ours.clone())).await;
    // Placing the second call holds the first, as a phone does.
    let call2 = call(&engine, &mut events, &second, None).await;
    let members = merged(&engine, &mut events).await;
    assert_eq!(members, vec![call1, call2]);
    assert_eq!(engine.state().conference, vec![call1, call2]);
    // The held call is resumed (once the re-INVITE that held it is done).
    expect_state(&engine, T, "both calls talking", |s| {
        s.calls.len() == 2 && s.calls.iter().all(|c| !c.held)
    })
    .await;
    // Three seconds of the mix, as each leg receives it.
    let_audio_flow(&engine, &[call1, call2], 150).await;

    let reply = engine.act(Action::LeaveConference).await;
    assert!(reply.is_ok(), "leave: {reply:?}");
    ended(&mut events, &[call1, call2]).await;
    assert!(engine.state().conference.is_empty());
    for p in [&first, &second] {
        wait_until(Duration::from_secs(10), "baresip to close the call", || {
            p.baresip.calls().is_empty()
        });
    }
    first.process.stop();
    second.process.stop();

    let (heard, rate) = baresip_heard(&second);
    assert_tones(
        "what the second party heard",
        &heard,
        rate,
        &[OUR_HZ, FIRST_HZ],
        &[SECOND_HZ],
    );
    // What the first party heard is read from our recording of its leg (what
    // we encoded and sent it): baresip 1.0's own recording stops at the
    // first re-INVITE, and its call was held and resumed (merging a held
    // call resumes it). Our recording holds both parties.
    let (sent, rate) = tail(&ours, 0, 2.0);
    assert_tones(
        "what we sent the first party",
        &sent,
        rate,
        &[OUR_HZ, SECOND_HZ],
        &[FIRST_HZ],
    );
    let (received, rate) = tail(&ours, 1, 2.0);
    assert_tones(
        "what the first party sent us",
        &received,
        rate,
        &[FIRST_HZ],
        &[],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_hanging_up_or_held_leaves_the_other_as_an_ordinary_call() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (engine, mut events) = start_engine(&test_config(port), &Passwords::new()).await;
    let mut first = party(dir.path(), "first", FIRST_HZ, "PCMU/8000/1", 8000);
    let mut second = party(dir.path(), "second", SECOND_HZ, "PCMU/8000/1", 8000);
    let mut third = party(dir.path(), "third", 2300.0, "PCMU/8000/1", 8000);

    let call1 = call(&engine, &mut events, &first, None).await;
    let call2 = call(&engine, &mut events, &second, None).await;
    merged(&engine, &mut events).await;

    // Holding a member takes it out; the conference of one is over.
    let reply = engine
        .act(Action::Hold {
            call: call2,
            held: true,
        })
        .await;
    assert!(reply.is_ok(), "hold: {reply:?}");
    expect_event(&mut events, T, "the conference is over", |e| match e {
        PhoneEvent::Conference { calls } if calls.is_empty() => Some(()),
        _ => None,
    })
    .await;
    expect_state(&engine, T, "the first talking, the second held", |s| {
        let held: Vec<(CallId, bool)> = s.calls.iter().map(|c| (c.id, c.held)).collect();
        s.conference.is_empty() && held == [(call1, false), (call2, true)]
    })
    .await;

    // Merged again with a third call; the third hangs up: the other two
    // go on together.
    let call3 = call(&engine, &mut events, &third, None).await;
    let reply = engine.act(Action::Merge { calls: None }).await;
    assert!(reply.is_ok(), "merge: {reply:?}");
    expect_event(&mut events, T, "the conference of three", |e| match e {
        PhoneEvent::Conference { calls } if calls.len() == 3 => Some(()),
        _ => None,
    })
    .await;
    third.process.stop();
    ended(&mut events, &[call3]).await;
    expect_state(&engine, T, "the conference without the third", |s| {
        s.conference == [call1, call2]
    })
    .await;
    let_audio_flow(&engine, &[call1, call2], 25).await;

    // Per-leg hang-up: the first ends, the second is an ordinary call.
    engine.hangup(Some(call1)).await.expect("hang up the first");
    ended(&mut events, &[call1]).await;
    assert!(engine.state().conference.is_empty());
    let_audio_flow(&engine, &[call2], 25).await;
    assert_eq!(
        engine
            .state()
            .calls
            .iter()
            .map(|c| c.id)
            .collect::<Vec<_>>(),
        vec![call2]
    );
    // Nothing to merge with now.
    let reply = engine.act(Action::Merge { calls: None }).await;
    assert!(reply.is_err(), "{reply:?}");
    engine.hangup(None).await.ok();
    first.process.stop();
    second.process.stop();
}

/// `[conference] leave = "connect"`: leaving hands the two others to each
/// other (REFER with Replaces to the first; it calls the second, which
/// drops our leg for the new call); both our legs end, theirs goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_with_connect_hands_the_two_others_to_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut config = test_config(port);
    config.conference.leave = hookswitch_phone::config::ConferenceLeave::Connect;
    let (engine, mut events) = start_engine(&config, &Passwords::new()).await;
    let mut first = party(dir.path(), "first", FIRST_HZ, "PCMU/8000/1", 8000);
    let mut second = party(dir.path(), "second", SECOND_HZ, "PCMU/8000/1", 8000);
    let call1 = call(&engine, &mut events, &first, None).await;
    let call2 = call(&engine, &mut events, &second, None).await;
    merged(&engine, &mut events).await;

    let reply = engine.act(Action::LeaveConference).await;
    assert!(reply.is_ok(), "leave: {reply:?}");
    ended(&mut events, &[call1, call2]).await;
    assert!(engine.state().calls.is_empty());
    // The second hears the first on a call of their own.
    // They talk to each other, on calls of their own: the first called
    // the second with Replaces.
    let to_second = format!("127.0.0.1:{}", second.baresip.port);
    wait_until(T, "the two others to talk", || {
        let (a, b) = (first.baresip.calls(), second.baresip.calls());
        a.len() == 1 && a[0].contains(&to_second) && b.len() == 1 && !b[0].contains("hookswitch")
    });
    let first_calls = first.baresip.calls();
    assert!(
        first_calls[0].contains("?Replaces="),
        "the first called the second with Replaces: {first_calls:?}"
    );
    first.process.stop();
    second.process.stop();
}
