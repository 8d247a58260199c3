//! PulseAudio (and PipeWire's PulseAudio server) through its own client
//! library, `libpulse-simple`, loaded at run time so that a system without it
//! still runs on ALSA. It serves the system default (`""`, `default`,
//! `pulse`; `PULSE_SOURCE`/`PULSE_SINK` pick other devices, as for any
//! PulseAudio program) and nothing else, so an ALSA name such as `hw:1,0`
//! still reaches that card directly.
//!
//! A stream is opened at the codec's rate in mono (the server resamples and
//! mixes down) and moved one 20 ms frame per blocking read or write, as
//! baresip's pulse module does: through the ALSA plugin the same call cost
//! 2.7 times the CPU, the plugin's threads waking hundreds of times a second
//! (D100).

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr::NonNull;
use std::sync::atomic::Ordering;
use std::sync::mpsc::TryRecvError;
use std::sync::{Arc, OnceLock};

use ringbuf::{HeapCons, HeapProd};

use super::super::SoundError;
use super::super::stream::{Device, Feed, Opened, Playout, Shared};
use super::Backend;

pub(super) struct PulseAudio;

/// The device names this back end serves: the system default.
fn serves(name: &str) -> bool {
    matches!(name, "" | "default" | "pulse")
}

impl Backend for PulseAudio {
    fn name(&self) -> &'static str {
        "pulse"
    }

    fn capture(
        &self,
        name: &str,
        codec_rate: u32,
        shared: &Arc<Shared>,
    ) -> Option<Result<Device<HeapCons<f32>>, SoundError>> {
        if !serves(name) {
            return None;
        }
        let stream = connect(Direction::Record, codec_rate)?;
        let (mut feed, consumer) = Feed::new(codec_rate, shared.clone());
        let shared = shared.clone();
        Some(Ok(Device {
            opened: Opened {
                device: "pulse".into(),
                rate: codec_rate,
            },
            end: consumer,
            pump: Box::new(move |stop| {
                let mut frame = vec![0f32; frame_samples(codec_rate)];
                while let Err(TryRecvError::Empty) = stop.try_recv() {
                    if let Err(e) = stream.read(&mut frame) {
                        failed(&shared, "capture", &e);
                        break;
                    }
                    feed.push(&mut frame.iter().copied());
                }
            }),
        }))
    }

    fn playback(
        &self,
        name: &str,
        codec_rate: u32,
        shared: &Arc<Shared>,
    ) -> Option<Result<Device<HeapProd<f32>>, SoundError>> {
        if !serves(name) {
            return None;
        }
        let stream = connect(Direction::Playback, codec_rate)?;
        let (producer, mut playout) = Playout::new(codec_rate, shared.clone());
        let shared = shared.clone();
        Some(Ok(Device {
            opened: Opened {
                device: "pulse".into(),
                rate: codec_rate,
            },
            end: producer,
            pump: Box::new(move |stop| {
                let mut frame = vec![0f32; frame_samples(codec_rate)];
                while let Err(TryRecvError::Empty) = stop.try_recv() {
                    for v in frame.iter_mut() {
                        *v = playout.next().unwrap_or(0.0);
                    }
                    // Blocks until the server has room for the frame: the
                    // server's clock paces this loop.
                    if let Err(e) = stream.write(&frame) {
                        failed(&shared, "playback", &e);
                        break;
                    }
                    playout.played(frame.len());
                }
            }),
        }))
    }
}

fn failed(shared: &Shared, what: &str, e: &str) {
    if !shared.failed.swap(true, Ordering::Relaxed) {
        tracing::warn!("{what} stream (PulseAudio): {e}");
    }
}

fn frame_samples(rate: u32) -> usize {
    (rate / 50).max(1) as usize
}

/// A stream on the server, or none (no library, no server: ALSA is asked
/// next, and says what is wrong if it cannot open the device either).
fn connect(direction: Direction, rate: u32) -> Option<Stream> {
    let library = library()?;
    match Stream::open(library, direction, rate) {
        Ok(stream) => {
            tracing::debug!(rate, ?direction, "PulseAudio stream opened");
            Some(stream)
        }
        Err(e) => {
            tracing::debug!("PulseAudio: {e}; trying ALSA");
            None
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Direction {
    Playback,
    Record,
}

// The few declarations of <pulse/simple.h> and <pulse/def.h> used here.
const PA_STREAM_PLAYBACK: c_int = 1;
const PA_STREAM_RECORD: c_int = 2;
#[cfg(target_endian = "little")]
const PA_SAMPLE_FLOAT32NE: c_int = 5;
#[cfg(target_endian = "big")]
const PA_SAMPLE_FLOAT32NE: c_int = 6;
/// "The server's choice" in a buffer attribute.
const DEFAULT: u32 = u32::MAX;

#[repr(C)]
struct SampleSpec {
    format: c_int,
    rate: u32,
    channels: u8,
}

#[repr(C)]
struct BufferAttr {
    maxlength: u32,
    tlength: u32,
    prebuf: u32,
    minreq: u32,
    fragsize: u32,
}

type NewFn = unsafe extern "C" fn(
    server: *const c_char,
    name: *const c_char,
    dir: c_int,
    dev: *const c_char,
    stream_name: *const c_char,
    ss: *const SampleSpec,
    map: *const c_void,
    attr: *const BufferAttr,
    error: *mut c_int,
) -> *mut c_void;
type ReadFn = unsafe extern "C" fn(*mut c_void, *mut c_void, usize, *mut c_int) -> c_int;
type WriteFn = unsafe extern "C" fn(*mut c_void, *const c_void, usize, *mut c_int) -> c_int;
type FreeFn = unsafe extern "C" fn(*mut c_void);
type StrErrorFn = unsafe extern "C" fn(c_int) -> *const c_char;

struct Library {
    new: NewFn,
    read: ReadFn,
    write: WriteFn,
    free: FreeFn,
    strerror: StrErrorFn,
}

/// The library, loaded on first use; none when it is not installed.
fn library() -> Option<&'static Library> {
    static LIBRARY: OnceLock<Option<Library>> = OnceLock::new();
    LIBRARY.get_or_init(load).as_ref()
}

fn load() -> Option<Library> {
    // SAFETY: dlopen/dlsym of a system library by its soname. The handle is
    // never closed, so the symbols stay valid for the life of the process;
    // each symbol is cast to the signature <pulse/simple.h> declares for it.
    unsafe {
        let handle = libc::dlopen(
            c"libpulse-simple.so.0".as_ptr(),
            libc::RTLD_NOW | libc::RTLD_LOCAL,
        );
        if handle.is_null() {
            tracing::debug!("no libpulse-simple.so.0: PulseAudio only through ALSA");
            return None;
        }
        let symbol = |name: &CStr| {
            let p = libc::dlsym(handle, name.as_ptr());
            if p.is_null() {
                tracing::debug!("libpulse-simple has no {name:?}");
            }
            (!p.is_null()).then_some(p)
        };
        Some(Library {
            new: std::mem::transmute::<*mut c_void, NewFn>(symbol(c"pa_simple_new")?),
            read: std::mem::transmute::<*mut c_void, ReadFn>(symbol(c"pa_simple_read")?),
            write: std::mem::transmute::<*mut c_void, WriteFn>(symbol(c"pa_simple_write")?),
            free: std::mem::transmute::<*mut c_void, FreeFn>(symbol(c"pa_simple_free")?),
            // From libpulse, which libpulse-simple links.
            strerror: std::mem::transmute::<*mut c_void, StrErrorFn>(symbol(c"pa_strerror")?),
        })
    }
}

/// One `pa_simple` stream, used on the thread that opened it.
struct Stream {
    library: &'static Library,
    handle: NonNull<c_void>,
}

impl Stream {
    fn open(library: &'static Library, direction: Direction, rate: u32) -> Result<Stream, String> {
        let frame_bytes = (frame_samples(rate) * size_of::<f32>()) as u32;
        let spec = SampleSpec {
            format: PA_SAMPLE_FLOAT32NE,
            rate,
            channels: 1,
        };
        let (dir, stream_name, attr) = match direction {
            // One frame per read.
            Direction::Record => (
                PA_STREAM_RECORD,
                c"microphone",
                BufferAttr {
                    maxlength: DEFAULT,
                    tlength: DEFAULT,
                    prebuf: DEFAULT,
                    minreq: DEFAULT,
                    fragsize: frame_bytes,
                },
            ),
            // 15 ms queued at the server, asked for 10 ms at a time (our
            // ring buffer primes 40 ms in front of it). With 40 ms queued the
            // echo canceller cancelled 6-18 dB of a speaker's echo, with
            // 10-15 ms 25-33 dB (24 through ALSA's 10 ms periods); 5 ms
            // requests cost 70 % more CPU than 10 ms ones (D100).
            Direction::Playback => (
                PA_STREAM_PLAYBACK,
                c"speaker",
                BufferAttr {
                    maxlength: DEFAULT,
                    tlength: frame_bytes * 3 / 4,
                    prebuf: DEFAULT,
                    minreq: frame_bytes / 2,
                    fragsize: DEFAULT,
                },
            ),
        };
        let mut error: c_int = 0;
        // SAFETY: every pointer is valid for the call (C strings are
        // 'static, the structs live on this frame); a null server and device
        // mean the defaults.
        let handle = unsafe {
            (library.new)(
                std::ptr::null(),
                c"Hookswitch".as_ptr(),
                dir,
                std::ptr::null(),
                stream_name.as_ptr(),
                &spec,
                std::ptr::null(),
                &attr,
                &mut error,
            )
        };
        match NonNull::new(handle) {
            Some(handle) => Ok(Stream { library, handle }),
            None => Err(library.error(error)),
        }
    }

    /// Fills `frame` from the server; blocks until it can.
    fn read(&self, frame: &mut [f32]) -> Result<(), String> {
        let mut error: c_int = 0;
        // SAFETY: the handle is live (freed only on drop) and the buffer is
        // `size_of_val(frame)` writable bytes.
        let r = unsafe {
            (self.library.read)(
                self.handle.as_ptr(),
                frame.as_mut_ptr().cast(),
                size_of_val(frame),
                &mut error,
            )
        };
        if r < 0 {
            return Err(self.library.error(error));
        }
        Ok(())
    }

    /// Hands `frame` to the server; blocks until it has room.
    fn write(&self, frame: &[f32]) -> Result<(), String> {
        let mut error: c_int = 0;
        // SAFETY: as `read`, with `size_of_val(frame)` readable bytes.
        let r = unsafe {
            (self.library.write)(
                self.handle.as_ptr(),
                frame.as_ptr().cast(),
                size_of_val(frame),
                &mut error,
            )
        };
        if r < 0 {
            return Err(self.library.error(error));
        }
        Ok(())
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // SAFETY: the handle came from pa_simple_new and is freed once.
        unsafe { (self.library.free)(self.handle.as_ptr()) }
    }
}

impl Library {
    fn error(&self, code: c_int) -> String {
        // SAFETY: pa_strerror returns a static string (or null).
        let text = unsafe { (self.strerror)(code) };
        if text.is_null() {
            return format!("error {code}");
        }
        // SAFETY: non-null, NUL-terminated, static.
        unsafe { CStr::from_ptr(text) }
            .to_string_lossy()
            .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_only_the_system_default() {
        for name in ["", "default", "pulse"] {
            assert!(serves(name), "{name:?}");
        }
        for name in ["hw:1,0", "plughw:CARD=Headset", "sysdefault", "ring_a"] {
            assert!(!serves(name), "{name:?}");
        }
    }

    #[test]
    fn a_frame_is_20_ms_at_any_rate() {
        assert_eq!(frame_samples(8000), 160);
        assert_eq!(frame_samples(16000), 320);
        assert_eq!(frame_samples(48000), 960);
    }
}
