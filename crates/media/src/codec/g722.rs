//! G.722 (ITU-T G.722, 64 kbit/s mode): 16 kHz audio split by a QMF into two
//! sub-bands coded with ADPCM, one byte per pair of samples. Written from the
//! Recommendation's block diagrams (block numbers in the comments), checked
//! byte for byte against spandsp, the implementation baresip uses (see
//! tests/g722.rs). Its RTP clock is 8000 Hz although it samples at 16 kHz
//! (RFC 3551 4.5.2).

use super::{Codec, CodecInfo, CodecKind};

/// G.722 (RFC 3551: payload type 9, an 8000 Hz clock for 16 kHz audio);
/// its MOS taken as G.711's on the narrowband scale (assumed, D21).
pub const INFO: CodecInfo = CodecInfo {
    name: "G722",
    clock_rate: 8000,
    sdp_channels: None,
    sample_rate: 16000,
    static_payload_type: Some(9),
    fmtp: None,
    conceals_itself: false,
    impairment: (0.0, 25.1),
    make: |_| Some(Box::new(G722::new())),
};

const QMF: [i32; 12] = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];
const Q6: [i32; 32] = [
    0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940,
    1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0, 0,
];
const ILN: [i32; 32] = [
    0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11,
    10, 9, 8, 7, 6, 5, 4, 0,
];
const ILP: [i32; 32] = [
    0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39,
    38, 37, 36, 35, 34, 33, 32, 0,
];
const WL: [i32; 8] = [-60, -30, 58, 172, 334, 538, 1198, 3042];
const RL42: [usize; 16] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
const ILB: [i32; 32] = [
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];
const QM4: [i32; 16] = [
    0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584,
    1200, 0,
];
const QM6: [i32; 64] = [
    -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232,
    -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776,
    -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280,
    11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776,
    2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];
const QM2: [i32; 4] = [-7408, -1616, 7408, 1616];
const IHN: [i32; 3] = [0, 1, 0];
const IHP: [i32; 3] = [0, 3, 2];
const WH: [i32; 3] = [0, -214, 798];
const RH2: [usize; 4] = [2, 1, 2, 1];

fn saturate(v: i32) -> i32 {
    v.clamp(i32::from(i16::MIN), i32::from(i16::MAX))
}

/// The adaptive predictor and quantiser scale of one sub-band.
#[derive(Debug, Clone, Default)]
struct Band {
    s: i32,
    sp: i32,
    sz: i32,
    r: [i32; 3],
    a: [i32; 3],
    ap: [i32; 3],
    p: [i32; 3],
    d: [i32; 7],
    b: [i32; 7],
    bp: [i32; 7],
    sg: [i32; 7],
    nb: i32,
    det: i32,
}

impl Band {
    fn new(det: i32) -> Band {
        Band {
            det,
            ..Band::default()
        }
    }

    /// Block 4: the pole-zero predictor update.
    fn block4(&mut self, d: i32) {
        // RECONS, PARREC
        self.d[0] = d;
        self.r[0] = saturate(self.s + d);
        self.p[0] = saturate(self.sz + d);
        // UPPOL2
        for i in 0..3 {
            self.sg[i] = self.p[i] >> 15;
        }
        let wd1 = saturate(self.a[1] << 2);
        let wd2 = if self.sg[0] == self.sg[1] { -wd1 } else { wd1 }.min(32767);
        let mut wd3 = if self.sg[0] == self.sg[2] { 128 } else { -128 };
        wd3 += wd2 >> 7;
        wd3 += (self.a[2] * 32512) >> 15;
        self.ap[2] = wd3.clamp(-12288, 12288);
        // UPPOL1
        self.sg[0] = self.p[0] >> 15;
        self.sg[1] = self.p[1] >> 15;
        let wd1 = if self.sg[0] == self.sg[1] { 192 } else { -192 };
        let wd2 = (self.a[1] * 32640) >> 15;
        self.ap[1] = saturate(wd1 + wd2);
        let wd3 = saturate(15360 - self.ap[2]);
        self.ap[1] = self.ap[1].clamp(-wd3, wd3);
        // UPZERO
        let wd1 = if d == 0 { 0 } else { 128 };
        self.sg[0] = d >> 15;
        for i in 1..7 {
            self.sg[i] = self.d[i] >> 15;
            let wd2 = if self.sg[i] == self.sg[0] { wd1 } else { -wd1 };
            let wd3 = (self.b[i] * 32640) >> 15;
            self.bp[i] = saturate(wd2 + wd3);
        }
        // DELAYA
        for i in (1..7).rev() {
            self.d[i] = self.d[i - 1];
            self.b[i] = self.bp[i];
        }
        for i in (1..3).rev() {
            self.r[i] = self.r[i - 1];
            self.p[i] = self.p[i - 1];
            self.a[i] = self.ap[i];
        }
        // FILTEP
        let wd1 = (self.a[1] * saturate(self.r[1] + self.r[1])) >> 15;
        let wd2 = (self.a[2] * saturate(self.r[2] + self.r[2])) >> 15;
        self.sp = saturate(wd1 + wd2);
        // FILTEZ
        let mut sz = 0;
        for i in (1..7).rev() {
            sz += (self.b[i] * saturate(self.d[i] + self.d[i])) >> 15;
        }
        self.sz = saturate(sz);
        // PREDIC
        self.s = saturate(self.sp + self.sz);
    }

    /// Blocks 3L/3H, LOGSCL and SCALEL (or LOGSCH and SCALEH).
    fn scale(&mut self, w: i32, max: i32, shift: i32) {
        self.nb = (((self.nb * 127) >> 7) + w).clamp(0, max);
        let wd1 = ILB[((self.nb >> 6) & 31) as usize];
        let wd2 = shift - (self.nb >> 11);
        let wd3 = if wd2 < 0 { wd1 << -wd2 } else { wd1 >> wd2 };
        self.det = wd3 << 2;
    }
}

#[derive(Debug, Clone)]
pub struct G722 {
    /// Encoder: analysis QMF history and the two bands.
    enc_x: [i32; 24],
    enc: [Band; 2],
    /// Decoder: synthesis QMF history and the two bands.
    dec_x: [i32; 24],
    dec: [Band; 2],
}

impl Default for G722 {
    fn default() -> Self {
        G722::new()
    }
}

impl G722 {
    pub fn new() -> G722 {
        G722 {
            enc_x: [0; 24],
            enc: [Band::new(32), Band::new(8)],
            dec_x: [0; 24],
            dec: [Band::new(32), Band::new(8)],
        }
    }

    /// Encodes 16 kHz samples (an even number; a trailing odd one is dropped).
    pub fn encode_samples(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        for pair in pcm.chunks_exact(2) {
            // Transmit QMF.
            self.enc_x.copy_within(2.., 0);
            self.enc_x[22] = i32::from(pair[0]);
            self.enc_x[23] = i32::from(pair[1]);
            let (mut even, mut odd) = (0, 0);
            for i in 0..12 {
                odd += self.enc_x[2 * i] * QMF[i];
                even += self.enc_x[2 * i + 1] * QMF[11 - i];
            }
            let xlow = (even + odd) >> 14;
            let xhigh = (even - odd) >> 14;

            // Low band: SUBTRA, QUANTL, INVQAL, LOGSCL, SCALEL, predictor.
            let low = &mut self.enc[0];
            let el = saturate(xlow - low.s);
            let wd = if el >= 0 { el } else { -(el + 1) };
            let mut i = 1;
            while i < 30 && wd >= (Q6[i] * low.det) >> 12 {
                i += 1;
            }
            let ilow = if el < 0 { ILN[i] } else { ILP[i] };
            let ril = (ilow >> 2) as usize;
            let dlow = (low.det * QM4[ril]) >> 15;
            low.scale(WL[RL42[ril]], 18432, 8);
            low.block4(dlow);

            // High band: SUBTRA, QUANTH, INVQAH, LOGSCH, SCALEH, predictor.
            let high = &mut self.enc[1];
            let eh = saturate(xhigh - high.s);
            let wd = if eh >= 0 { eh } else { -(eh + 1) };
            let mih = if wd >= (564 * high.det) >> 12 { 2 } else { 1 };
            let ihigh = if eh < 0 { IHN[mih] } else { IHP[mih] };
            let dhigh = (high.det * QM2[ihigh as usize]) >> 15;
            high.scale(WH[RH2[ihigh as usize]], 22528, 10);
            high.block4(dhigh);

            out.push(((ihigh << 6) | ilow) as u8);
        }
    }

    /// Decodes to 16 kHz samples, two per byte.
    pub fn decode_bytes(&mut self, payload: &[u8], out: &mut Vec<i16>) {
        for &code in payload {
            let code = i32::from(code);
            let ilow = (code & 0x3F) as usize;
            let ihigh = ((code >> 6) & 0x03) as usize;

            // Low band: INVQBL, RECONS, LIMIT, then the predictor's inputs.
            let low = &mut self.dec[0];
            let rlow = (low.s + ((low.det * QM6[ilow]) >> 15)).clamp(-16384, 16383);
            let ril = ilow >> 2;
            let dlowt = (low.det * QM4[ril]) >> 15;
            low.scale(WL[RL42[ril]], 18432, 8);
            low.block4(dlowt);

            // High band.
            let high = &mut self.dec[1];
            let dhigh = (high.det * QM2[ihigh]) >> 15;
            let rhigh = (dhigh + high.s).clamp(-16384, 16383);
            high.scale(WH[RH2[ihigh]], 22528, 10);
            high.block4(dhigh);

            // Receive QMF.
            self.dec_x.copy_within(2.., 0);
            self.dec_x[22] = rlow + rhigh;
            self.dec_x[23] = rlow - rhigh;
            let (mut out1, mut out2) = (0, 0);
            for i in 0..12 {
                out2 += self.dec_x[2 * i] * QMF[i];
                out1 += self.dec_x[2 * i + 1] * QMF[11 - i];
            }
            out.push(saturate(out1 >> 11) as i16);
            out.push(saturate(out2 >> 11) as i16);
        }
    }
}

impl Codec for G722 {
    fn kind(&self) -> CodecKind {
        CodecKind::G722
    }

    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        self.encode_samples(pcm, out);
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) {
        self.decode_bytes(payload, out);
    }
}
