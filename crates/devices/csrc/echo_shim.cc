// A C face on WebRTC's AudioProcessing (the PulseAudio packaging, Debian's
// libwebrtc-audio-processing 0.3), for crates/devices/src/sound/echo.rs:
// echo cancellation (extended filter, delay-agnostic) with noise suppression
// and a high-pass filter, on mono 10 ms frames of float samples in [-1, 1].
#include <webrtc/modules/audio_processing/include/audio_processing.h>

using webrtc::AudioProcessing;
using webrtc::StreamConfig;

struct hs_echo {
  AudioProcessing* apm;
  StreamConfig stream;
};

extern "C" {

hs_echo* hs_echo_new(int sample_rate) {
  webrtc::Config config;
  config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(true));
  config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(true));
  AudioProcessing* apm = AudioProcessing::Create(config);
  if (apm == nullptr) return nullptr;
  if (apm->echo_cancellation()->Enable(true) != 0 ||
      apm->echo_cancellation()->set_suppression_level(
          webrtc::EchoCancellation::kLowSuppression) != 0 ||
      apm->echo_cancellation()->enable_metrics(true) != 0 ||
      apm->noise_suppression()->Enable(true) != 0 ||
      apm->high_pass_filter()->Enable(true) != 0) {
    delete apm;
    return nullptr;
  }
  return new hs_echo{apm, StreamConfig(sample_rate, 1, false)};
}

void hs_echo_free(hs_echo* e) {
  if (e == nullptr) return;
  delete e->apm;
  delete e;
}

// What is about to be played (the far end), 10 ms.
int hs_echo_render(hs_echo* e, float* frame) {
  float* channels[1] = {frame};
  return e->apm->ProcessReverseStream(channels, e->stream, e->stream, channels);
}

// What the microphone took (the near end), 10 ms, cleaned in place.
int hs_echo_capture(hs_echo* e, float* frame, int delay_ms) {
  float* channels[1] = {frame};
  e->apm->set_stream_delay_ms(delay_ms);
  return e->apm->ProcessStream(channels, e->stream, e->stream, channels);
}

// Echo return loss enhancement (dB, long-term average); -100 when unknown.
int hs_echo_erle(hs_echo* e) {
  webrtc::EchoCancellation::Metrics m;
  if (e->apm->echo_cancellation()->GetMetrics(&m) != 0) return -100;
  return m.echo_return_loss_enhancement.average;
}

}  // extern "C"
