//! G.729 (8 kbit/s CS-ACELP) through bcg729 (Debian `libbcg729-dev`), built
//! only with the `g729` cargo feature: 10 ms frames of 80 samples to 10 bytes,
//! two per 20 ms packet (RFC 3551 4.5.6). We send no Annex B silence frames
//! (`annexb=no` in our SDP) but decode a peer's 2-byte SID frames; a lost
//! frame is rebuilt by the decoder's own concealment.

use std::ffi::c_void;

use super::{Codec, CodecInfo, CodecKind};

/// G.729 (RFC 3551: payload type 18); we send no Annex B silence frames
/// (`annexb=no`). G.113 Appendix I: Ie 10, Bpl 19 with its own concealment.
pub const INFO: CodecInfo = CodecInfo {
    name: "G729",
    clock_rate: 8000,
    sdp_channels: None,
    sample_rate: 8000,
    static_payload_type: Some(18),
    fmtp: Some("annexb=no"),
    conceals_itself: true,
    impairment: (10.0, 19.0),
    make: |_| G729::new().map(|g| Box::new(g) as Box<dyn Codec>),
};

/// Samples in one G.729 frame (10 ms at 8 kHz) and its size on the wire.
const FRAME: usize = 80;
const FRAME_BYTES: usize = 10;
const SID_BYTES: usize = 2;

#[link(name = "bcg729")]
unsafe extern "C" {
    fn initBcg729EncoderChannel(enable_vad: u8) -> *mut c_void;
    fn closeBcg729EncoderChannel(context: *mut c_void);
    fn bcg729Encoder(context: *mut c_void, input: *const i16, bitstream: *mut u8, length: *mut u8);
    fn initBcg729DecoderChannel() -> *mut c_void;
    fn closeBcg729DecoderChannel(context: *mut c_void);
    fn bcg729Decoder(
        context: *mut c_void,
        bitstream: *const u8,
        length: u8,
        frame_erasure: u8,
        sid_frame: u8,
        rfc3389_payload: u8,
        signal: *mut i16,
    );
}

pub struct G729 {
    encoder: *mut c_void,
    decoder: *mut c_void,
}

// SAFETY: each context is owned by this value and only touched through
// `&mut self`; bcg729 keeps no state outside its contexts.
unsafe impl Send for G729 {}

impl G729 {
    /// `None` if bcg729 cannot allocate its contexts.
    pub fn new() -> Option<G729> {
        // SAFETY: plain constructors; null is checked below.
        let (encoder, decoder) =
            unsafe { (initBcg729EncoderChannel(0), initBcg729DecoderChannel()) };
        let g = G729 { encoder, decoder };
        (!encoder.is_null() && !decoder.is_null()).then_some(g)
    }

    fn decode_frame(&mut self, bits: &[u8], erased: bool, out: &mut Vec<i16>) {
        let mut signal = [0i16; FRAME];
        let sid = u8::from(bits.len() == SID_BYTES);
        // SAFETY: the context is valid; `bits` holds `len` bytes (10, 2 or 0
        // with the erasure flag) and `signal` has room for one frame.
        unsafe {
            bcg729Decoder(
                self.decoder,
                bits.as_ptr(),
                bits.len() as u8,
                u8::from(erased),
                sid,
                0,
                signal.as_mut_ptr(),
            );
        }
        out.extend_from_slice(&signal);
    }
}

impl Drop for G729 {
    fn drop(&mut self) {
        // SAFETY: the contexts came from bcg729's constructors and are closed once.
        unsafe {
            if !self.encoder.is_null() {
                closeBcg729EncoderChannel(self.encoder);
            }
            if !self.decoder.is_null() {
                closeBcg729DecoderChannel(self.decoder);
            }
        }
    }
}

impl Codec for G729 {
    fn kind(&self) -> CodecKind {
        CodecKind::G729
    }

    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        for chunk in pcm.chunks(FRAME) {
            let mut frame = [0i16; FRAME];
            frame[..chunk.len()].copy_from_slice(chunk);
            let mut bits = [0u8; FRAME_BYTES];
            let mut length = 0u8;
            // SAFETY: the context is valid, `frame` holds 80 samples and
            // `bits` room for the 10 bytes a frame encodes to.
            unsafe { bcg729Encoder(self.encoder, frame.as_ptr(), bits.as_mut_ptr(), &mut length) };
            out.extend_from_slice(&bits[..usize::from(length).min(FRAME_BYTES)]);
        }
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) {
        // Whole frames, then a SID frame if two bytes are left (Annex B).
        let mut rest = payload;
        while rest.len() >= FRAME_BYTES {
            let (frame, tail) = rest.split_at(FRAME_BYTES);
            self.decode_frame(frame, false, out);
            rest = tail;
        }
        if rest.len() == SID_BYTES {
            self.decode_frame(rest, false, out);
        }
    }

    fn conceal(&mut self, _next: Option<&[u8]>, out: &mut Vec<i16>) -> bool {
        // A lost 20 ms packet is two erased frames (bcg729 reads the buffer
        // even then: hand it a zeroed frame).
        let none = [0u8; FRAME_BYTES];
        self.decode_frame(&none, true, out);
        self.decode_frame(&none, true, out);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tone::{Sine, dominant_frequency, rms};

    #[test]
    fn speech_band_tones_survive_and_frames_have_their_size() {
        let mut g = G729::new().unwrap();
        let mut sine = Sine::new(700.0, 8000, 8000);
        let mut decoded = Vec::new();
        for _ in 0..50 {
            let mut pcm = vec![0i16; 160];
            sine.fill(&mut pcm);
            let mut bits = Vec::new();
            g.encode(&pcm, &mut bits);
            assert_eq!(bits.len(), 20, "two 10-byte frames per 20 ms");
            g.decode(&bits, &mut decoded);
        }
        assert_eq!(decoded.len(), 50 * 160);
        let tail = &decoded[4000..];
        let f = dominant_frequency(tail, 8000, 100.0, 3800.0);
        assert!((f - 700.0).abs() < 10.0, "{f} Hz");
        let level = rms(tail) / (8000.0 / 2f64.sqrt());
        assert!((0.5..1.5).contains(&level), "level {level}");
        // A lost packet is two concealed frames; garbage decodes without harm.
        let mut concealed = Vec::new();
        assert!(g.conceal(None, &mut concealed));
        assert_eq!(concealed.len(), 160);
        let mut any = Vec::new();
        g.decode(&[0xff; 23], &mut any);
        assert_eq!(any.len(), 160);
        // A peer's Annex B silence descriptor: one frame of comfort noise.
        let mut sid = Vec::new();
        g.decode(&[0x12, 0x34], &mut sid);
        assert_eq!(sid.len(), 80);
    }
}
