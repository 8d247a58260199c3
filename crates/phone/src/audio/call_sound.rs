//! The sound side of a call: each 20 ms a frame from the source (with the
//! speakerphone's echo taken out and the microphone's gain) to send, and the
//! frame received to play (at the earpiece's gain), with the level meters and
//! the whole-call recording in between. The media task moves the frames.

use hookswitch_devices::sound::echo::EchoCanceller;

use super::{AudioSink, AudioSource, CallRecorder, Gain, Meter};

/// Where a call's audio comes from and goes to.
pub struct CallAudio {
    pub source: Box<dyn AudioSource>,
    pub sink: Box<dyn AudioSink>,
    pub recorder: Option<CallRecorder>,
    /// Removes the speaker's echo from the microphone (speakerphones).
    pub echo: Option<EchoCanceller>,
}

/// The sound side of a call: a frame from the source to send, a frame
/// received to play, with the echo canceller, the gains, the level meters
/// and the whole-call recording in between.
pub struct CallSound {
    audio: CallAudio,
    source_live: bool,
    pub speaker_gain: Gain,
    pub microphone_gain: Gain,
    pub sent_meter: Meter,
    pub heard_meter: Meter,
    /// The frame captured last (what is sent).
    pub frame: Vec<i16>,
    /// The frame received last, at the call's own level (what is played).
    pub played: Vec<i16>,
    heard: Vec<i16>,
    silence: Vec<i16>,
}

impl CallSound {
    pub fn new(audio: CallAudio, samples: usize, speaker: Gain, microphone: Gain) -> Self {
        CallSound {
            audio,
            source_live: true,
            speaker_gain: speaker,
            microphone_gain: microphone,
            sent_meter: Meter::default(),
            heard_meter: Meter::default(),
            frame: vec![0; samples],
            played: Vec::with_capacity(samples),
            heard: Vec::new(),
            silence: Vec::new(),
        }
    }

    /// The next frame to send; false once a file being played has ended.
    pub fn capture(&mut self) -> bool {
        let live = self.source_live && self.audio.source.read_frame(&mut self.frame);
        let ended = self.source_live && !live;
        self.source_live = live;
        if let Some(e) = &mut self.audio.echo {
            e.capture(&mut self.frame);
        }
        self.microphone_gain.apply(&mut self.frame);
        !ended
    }

    /// Plays what was received (`played`, at the call's own level).
    pub fn play(&mut self, muted: bool) {
        self.heard.clone_from(&self.played);
        self.speaker_gain.apply(&mut self.heard);
        if let Some(e) = &mut self.audio.echo {
            e.render(&self.heard);
        }
        self.audio.sink.write_frame(&self.heard);
        self.heard_meter.frame(&self.heard);
        self.sent_meter
            .frame(if muted { &[] } else { self.frame.as_slice() });
        if let Some(r) = &mut self.audio.recorder {
            // What actually went out: silence while muted.
            let sent = if muted {
                self.silence.resize(self.frame.len(), 0);
                &self.silence
            } else {
                &self.frame
            };
            r.write(sent, &self.played);
        }
    }

    /// Whether the whole call is being recorded.
    pub fn recording(&self) -> bool {
        self.audio.recorder.is_some()
    }

    /// Starts a whole-call recording from this frame on.
    pub fn start_recording(&mut self, recorder: CallRecorder) {
        self.audio.recorder = Some(recorder);
    }

    /// Stops the recording (its file is completed).
    pub fn stop_recording(&mut self) {
        if let Some(mut r) = self.audio.recorder.take() {
            r.finish();
        }
    }

    pub fn finish(&mut self) {
        self.audio.sink.finish();
        if let Some(e) = &self.audio.echo {
            tracing::info!(
                erle_db = e.erle_db(),
                errors = e.errors(),
                "echo canceller ended"
            );
        }
        if let Some(r) = &mut self.audio.recorder {
            r.finish();
        }
    }
}
