//! Call quality on demand between two Hookswitches: RTCP gives each the round
//! trip, and RTCP-XR VoIP metrics (negotiated by both) tell each how the other
//! hears it.

use hookswitch_tests::Phone;
use std::time::Duration;

use hookswitch_phone::{AudioSpec, PhoneEvent};
use hookswitch_tests::{call_between, expect_event, free_port, test_config};

const T: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_side_learns_how_the_other_hears_it() {
    quality_both_ways(true).await;
}

/// The same when one side does not multiplex RTCP on the RTP port (RFC 5761):
/// reports go to the RTCP ports instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_rtcp_mux_too() {
    quality_both_ways(false).await;
}

async fn quality_both_ways(b_muxes: bool) {
    let config = |port, mux| {
        let mut c = test_config(port);
        c.audio.rtcp_interval_ms = 500;
        c.audio.rtcp_mux = mux;
        c
    };
    let tone = |hz| AudioSpec {
        tone_hz: Some(hz),
        ..Default::default()
    };
    let (a, b, _) = call_between(
        config(free_port(), true),
        config(free_port(), b_muxes),
        tone(440.0),
        tone(880.0),
    )
    .await;
    let (call, incoming) = (a.call, b.call);
    let (a, mut a_events, b) = (a.engine, a.events, b.engine);
    // Reports every 0.25-0.75 s: within a few seconds each has the other's.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let stats = loop {
        let (sa, sb) = (
            a.call_stats(call).await.unwrap(),
            b.call_stats(incoming).await.unwrap(),
        );
        if sa.remote_mos.is_some() && sb.remote_mos.is_some() && sa.rtt_ms.is_some() {
            break (sa, sb);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no VoIP metrics yet: {sa:?} {sb:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (sa, sb) = stats;
    println!("A: {sa:?}\nB: {sb:?}");
    for s in [&sa, &sb] {
        assert!(s.remote_mos.is_some_and(|m| m > 4.0), "{s:?}");
        assert_eq!(s.remote_loss_percent, Some(0.0), "{s:?}");
        assert!(
            s.remote_end_system_delay_ms
                .is_some_and(|d| (40.0..=300.0).contains(&d)),
            "{s:?}"
        );
    }
    assert!(sa.rtt_ms.is_some_and(|r| r < 50.0), "{sa:?}");
    a.hangup(Some(call)).await.unwrap();
    // After the end the call has no figures to give.
    expect_event(&mut a_events, T, "ended", |e| {
        matches!(e, PhoneEvent::Ended { .. }).then_some(())
    })
    .await;
    assert!(a.call_stats(call).await.is_err());
}
