#!/usr/bin/env bash
# Generates the demo clip the viewer room loops while a demo session has no stream:
# web/public/demo-clip/clip.m3u8 (an HLS VOD playlist) and its .ts segments, from ffmpeg's test
# pattern and a quiet tone. Vite copies web/public into the build, so the server serves it at
# /demo-clip/clip.m3u8. The files are committed; run this again only to change the clip.
#
#   scripts/demo-clip.sh            # needs ffmpeg (Debian: apt-get install ffmpeg)
set -euo pipefail
cd "$(dirname "$0")/.."

out=web/public/demo-clip
seconds=12
fps=25

command -v ffmpeg >/dev/null || { echo "demo-clip: ffmpeg is not on PATH" >&2; exit 1; }

# The caption needs a font with CJK glyphs for 演示片段; without one, the Latin half alone (a
# font without the glyphs would draw boxes); if drawtext cannot run at all, no caption.
caption_filter() {
  local font text
  font=$(fc-list ':lang=zh' file 2>/dev/null | head -n1 | sed 's/: *$//') || true
  if [ -n "$font" ]; then
    text='sellstream demo clip 演示片段'
  else
    font=$(fc-match -f '%{file}' 'DejaVu Sans:bold' 2>/dev/null) || true
    text='sellstream demo clip'
  fi
  [ -n "$font" ] && [ -f "$font" ] || return 1
  printf "drawtext=fontfile='%s':text='%s':fontsize=30:fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=12:x=(w-text_w)/2:y=h-text_h-36" "$font" "$text"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

encode() {
  local vf=$1
  # Baseline H.264 (every phone decodes it) with a keyframe every second, cut into 2-s segments;
  # a low bitrate keeps the committed files small. The tone is quiet (-30 dB): autoplay is muted,
  # but someone who taps for sound should not be startled.
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=size=640x360:rate=${fps}" \
    -f lavfi -i "sine=frequency=440:sample_rate=44100" \
    -t "$seconds" \
    ${vf:+-vf "$vf"} \
    -c:v libx264 -profile:v baseline -level 3.0 -pix_fmt yuv420p -preset veryfast \
    -b:v 200k -maxrate 240k -bufsize 240k \
    -g "$fps" -keyint_min "$fps" -sc_threshold 0 \
    -af "volume=-30dB" -c:a aac -b:a 48k -ac 1 \
    -f hls -hls_time 2 -hls_list_size 0 -hls_playlist_type vod \
    -hls_segment_filename "$tmp/clip-%02d.ts" \
    "$tmp/clip.m3u8"
}

if vf=$(caption_filter) && encode "$vf"; then
  echo "demo-clip: with caption"
else
  echo "demo-clip: drawtext unavailable, encoding without caption" >&2
  rm -f "$tmp"/clip*
  encode ""
fi

grep -q '^#EXT-X-PLAYLIST-TYPE:VOD' "$tmp/clip.m3u8" && grep -q '^#EXT-X-ENDLIST' "$tmp/clip.m3u8" || {
  echo "demo-clip: the playlist is not a finished VOD playlist" >&2
  exit 1
}

rm -rf "$out"
mkdir -p "$out"
cp "$tmp"/clip.m3u8 "$tmp"/clip-*.ts "$out"/
total=$(du -cb "$out"/* | tail -n1 | cut -f1)
echo "demo-clip: $(ls "$out" | wc -l) files, ${total} bytes in $out"
if [ "$total" -gt 614400 ]; then
  echo "demo-clip: larger than 600 KB; lower -b:v" >&2
  exit 1
fi
