//! G.711 µ-law and A-law (ITU-T G.711), as the ITU-T G.191 reference software
//! computes them: negative magnitudes use the one's complement, so -1 encodes as
//! µ-law 0x7F like G.191 (the older Sun code gives 0x7E). See tests/g711.rs.

use super::{Codec, CodecInfo, CodecKind};

const ULAW_BIAS: i32 = 0x84;
const ULAW_CLIP: i32 = 8159;

/// Index of the segment `value` falls in, given the segments' upper ends.
fn segment(value: i32, ends: &[i32; 8]) -> usize {
    ends.iter().position(|&end| value <= end).unwrap_or(8)
}

pub fn linear_to_ulaw(sample: i16) -> u8 {
    const ENDS: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];
    let mut pcm = i32::from(sample) >> 2;
    let mask = if pcm < 0 {
        pcm = -pcm - 1;
        0x7F
    } else {
        0xFF
    };
    pcm = pcm.min(ULAW_CLIP) + (ULAW_BIAS >> 2);
    let seg = segment(pcm, &ENDS);
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let value = ((seg as i32) << 4) | ((pcm >> (seg + 1)) & 0x0F);
    (value ^ mask) as u8
}

pub const fn ulaw_to_linear(byte: u8) -> i16 {
    let u = !byte;
    let mut t = (((u & 0x0F) as i32) << 3) + ULAW_BIAS;
    t <<= (u & 0x70) >> 4;
    (if u & 0x80 != 0 {
        ULAW_BIAS - t
    } else {
        t - ULAW_BIAS
    }) as i16
}

pub fn linear_to_alaw(sample: i16) -> u8 {
    const ENDS: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
    let mut pcm = i32::from(sample) >> 3;
    let mask = if pcm >= 0 {
        0xD5
    } else {
        pcm = -pcm - 1;
        0x55
    };
    let seg = segment(pcm, &ENDS);
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let mantissa = if seg < 2 {
        (pcm >> 1) & 0x0F
    } else {
        (pcm >> seg) & 0x0F
    };
    ((((seg as i32) << 4) | mantissa) ^ mask) as u8
}

pub const fn alaw_to_linear(byte: u8) -> i16 {
    let a = byte ^ 0x55;
    let mut t = ((a & 0x0F) as i32) << 4;
    let seg = (a & 0x70) >> 4;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

const fn ulaw_table() -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = ulaw_to_linear(i as u8);
        i += 1;
    }
    t
}

const fn alaw_table() -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = alaw_to_linear(i as u8);
        i += 1;
    }
    t
}

static ULAW_TABLE: [i16; 256] = ulaw_table();
static ALAW_TABLE: [i16; 256] = alaw_table();

/// G.711 µ-law (RFC 3551: payload type 0).
pub const PCMU: CodecInfo = CodecInfo {
    name: "PCMU",
    clock_rate: 8000,
    sdp_channels: None,
    sample_rate: 8000,
    static_payload_type: Some(0),
    fmtp: None,
    conceals_itself: false,
    impairment: (0.0, 25.1),
    make: |_| Some(Box::new(Ulaw)),
};

/// G.711 A-law (RFC 3551: payload type 8).
pub const PCMA: CodecInfo = CodecInfo {
    name: "PCMA",
    static_payload_type: Some(8),
    make: |_| Some(Box::new(Alaw)),
    ..PCMU
};

/// PCMU.
#[derive(Debug, Default, Clone, Copy)]
pub struct Ulaw;

/// PCMA.
#[derive(Debug, Default, Clone, Copy)]
pub struct Alaw;

impl Codec for Ulaw {
    fn kind(&self) -> CodecKind {
        CodecKind::PCMU
    }
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        out.extend(pcm.iter().map(|&s| linear_to_ulaw(s)));
    }
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) {
        out.extend(payload.iter().map(|&b| ULAW_TABLE[b as usize]));
    }
}

impl Codec for Alaw {
    fn kind(&self) -> CodecKind {
        CodecKind::PCMA
    }
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        out.extend(pcm.iter().map(|&s| linear_to_alaw(s)));
    }
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) {
        out.extend(payload.iter().map(|&b| ALAW_TABLE[b as usize]));
    }
}
