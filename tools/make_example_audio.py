"""Make the media files of the example site's podcast: the episodes' MP3s and the show's cover art.

A developer tool, not part of Homepost: it needs `lameenc` (an MP3 encoder), which is NOT a
dependency of the project. Install it into the virtual environment first, then run the script
from the repository's root:

    .venv/bin/pip install lameenc
    .venv/bin/python tools/make_example_audio.py

It writes, overwriting what is there:

    content/podcast/cover.png                           the show's artwork, 1400 x 1400 RGB
    content/posts/<episode 2's folder>/cover.png         that episode's own art
    content/posts/<each episode's folder>/episode.mp3   a few seconds of chimes, mono, 32 kbps

Everything is synthesized with the standard library (sine tones, zlib for the PNG), so the
output is the same on every run and the files in the repository can be rebuilt from this script.
If mutagen is installed (Homepost uses it to measure episodes), the MP3s also get ID3 tags.
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from array import array
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
RGB = tuple[int, int, int]
RATE = 22050  # samples per second: plenty for chimes, and small files
BITRATE = 32  # kbit/s, mono
SHOW = "Slow Signal"
AUTHOR = "Lin Yue"


# --- audio -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    start: float  # seconds
    pitch: int  # MIDI note number (69 = A4 = 440 Hz)
    length: float = 1.6  # seconds until it has died away
    level: float = 1.0


@dataclass(frozen=True)
class Episode:
    folder: str  # under content/posts/
    title: str
    track: int | None
    seconds: float
    notes: tuple[Note, ...]
    drone: int | None = None  # MIDI pitch of a soft sustained tone under the chimes


def _melody(start: float, step: float, pitches: list[int], length: float = 1.6, level: float = 1.0) -> tuple[Note, ...]:
    return tuple(Note(start + i * step, p, length, level) for i, p in enumerate(pitches))


# Major pentatonic on D (D E F# A B): no interval in it can clash.
EPISODES = (
    Episode(
        folder="2026-10-17-trailer-season-1",
        title="Trailer: Slow Signal, season 1",
        track=None,
        seconds=6.0,
        notes=_melody(0.3, 0.45, [74, 78, 81]) + (Note(1.8, 86, 3.2, 0.8), Note(1.8, 74, 3.2, 0.5)),
        drone=50,
    ),
    Episode(
        folder="2026-10-31-episode-1-why-own-your-feed",
        title="Episode 1: Why own your feed",
        track=1,
        seconds=8.0,
        notes=(
            _melody(0.2, 0.4, [74, 76, 78, 81])  # cold open: a rising call
            + _melody(4.0, 0.35, [81, 78, 83, 81, 78, 76], length=1.4, level=0.9)  # the topic
            + (Note(6.3, 74, 1.6), Note(6.3, 78, 1.6, 0.6), Note(6.3, 81, 1.6, 0.5))  # resolve
        ),
        drone=50,
    ),
    Episode(
        folder="2026-11-14-episode-2-the-feed-is-the-subscription",
        title="Episode 2: The feed is the subscription",
        track=2,
        seconds=7.0,
        notes=(
            _melody(0.2, 0.5, [81, 78, 76, 74], length=1.8)
            + _melody(2.4, 0.3, [76, 78, 81, 83, 86], length=1.5, level=0.8)
            + (Note(4.4, 74, 2.4), Note(4.4, 81, 2.4, 0.6), Note(4.4, 86, 2.4, 0.4))
        ),
        drone=43,
    ),
)


def _hz(pitch: int) -> float:
    return 440.0 * 2 ** ((pitch - 69) / 12)


def synthesize(episode: Episode) -> array:
    """The episode's samples as floats in -1..1."""
    total = int(episode.seconds * RATE)
    out = array("d", bytes(8 * total))
    partials = ((1.0, 1.0), (2.0, 0.28), (3.0, 0.1), (4.2, 0.05))  # a soft bell: slightly stretched
    for note in episode.notes:
        first = int(note.start * RATE)
        count = min(int(note.length * RATE), total - first)
        base = _hz(note.pitch)
        attack, release = int(0.008 * RATE), int(0.03 * RATE)  # no clicks at either end
        for ratio, gain in partials:
            step = 2 * math.pi * base * ratio / RATE
            decay = math.exp(-(3.2 + ratio) / (note.length * RATE))  # higher partials fade sooner
            level = note.level * gain
            envelope = 1.0  # after the attack: falls exponentially
            for i in range(count):
                if i < attack:
                    out[first + i] += level * (i / attack) * math.sin(step * i)
                else:
                    tail = min(1.0, (count - i) / release)
                    out[first + i] += level * envelope * tail * math.sin(step * i)
                    envelope *= decay
    if episode.drone is not None:
        step = 2 * math.pi * _hz(episode.drone) / RATE
        swell = 2 * math.pi * 0.25 / RATE
        for i in range(total):
            out[i] += 0.12 * (0.6 + 0.4 * math.sin(swell * i)) * (math.sin(step * i) + 0.3 * math.sin(2 * step * i))
    fade_in, fade_out = int(0.05 * RATE), int(0.8 * RATE)
    for i in range(fade_in):
        out[i] *= i / fade_in
    for i in range(fade_out):
        out[total - 1 - i] *= (i / fade_out) ** 2
    peak = max(abs(s) for s in out) or 1.0
    gain = 10 ** (-3 / 20) / peak  # peak at -3 dBFS
    return array("d", (s * gain for s in out))


def encode_mp3(samples: array) -> bytes:
    import lameenc  # see the top of this file

    pcm = array("h", (max(-32768, min(32767, round(s * 32767))) for s in samples))
    if sys.byteorder != "little":
        pcm.byteswap()
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(BITRATE)
    encoder.set_in_sample_rate(RATE)
    encoder.set_channels(1)
    encoder.set_quality(2)  # 2 = high quality, slow; the files are seconds long
    return bytes(encoder.encode(pcm.tobytes()) + encoder.flush())


def tag_mp3(path: Path, episode: Episode) -> None:
    """Title, artist, album and track number, when mutagen is there to write them."""
    try:
        from mutagen.id3 import ID3, TALB, TCON, TIT2, TPE1, TRCK
    except ImportError:
        return
    tags = ID3()
    tags.add(TIT2(encoding=3, text=episode.title))
    tags.add(TPE1(encoding=3, text=AUTHOR))
    tags.add(TALB(encoding=3, text=SHOW))
    tags.add(TCON(encoding=3, text="Podcast"))
    if episode.track is not None:
        tags.add(TRCK(encoding=3, text=str(episode.track)))
    tags.save(path, v2_version=4, padding=lambda info: 0)


# --- cover art ---------------------------------------------------------------------------------

# A 5 x 7 pixel font, just the letters the cover needs.
GLYPHS = {
    "S": ("01111", "10000", "10000", "01110", "00001", "00001", "11110"),
    "L": ("10000", "10000", "10000", "10000", "10000", "10000", "11111"),
    "O": ("01110", "10001", "10001", "10001", "10001", "10001", "01110"),
    "W": ("10001", "10001", "10001", "10101", "10101", "10101", "01010"),
    "I": ("11111", "00100", "00100", "00100", "00100", "00100", "11111"),
    "G": ("01110", "10001", "10000", "10111", "10001", "10001", "01111"),
    "N": ("10001", "11001", "10101", "10011", "10001", "10001", "10001"),
    "A": ("01110", "10001", "10001", "11111", "10001", "10001", "10001"),
    "E": ("11111", "10000", "10000", "11110", "10000", "10000", "11111"),
    "P": ("11110", "10001", "10001", "11110", "10000", "10000", "10000"),
    "D": ("11110", "10001", "10001", "10001", "10001", "10001", "11110"),
    "2": ("01110", "10001", "00001", "00010", "00100", "01000", "11111"),
    " ": ("00000",) * 7,
}


class Canvas:
    """An RGB image in memory, drawn with filled rectangles."""

    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.rows = [bytearray(3 * width) for _ in range(height)]

    def rect(self, x: int, y: int, w: int, h: int, rgb: tuple[int, int, int]) -> None:
        x0, x1 = max(0, x), min(self.width, x + w)
        run = bytes(rgb) * (x1 - x0)
        for row in self.rows[max(0, y) : min(self.height, y + h)]:
            row[3 * x0 : 3 * x1] = run

    def text(self, message: str, centre_x: int, y: int, scale: int, rgb: tuple[int, int, int]) -> None:
        advance = 6 * scale
        x = centre_x - (advance * len(message) - scale) // 2
        for char in message:
            for r, line in enumerate(GLYPHS[char]):
                for c, bit in enumerate(line):
                    if bit == "1":
                        self.rect(x + c * scale, y + r * scale, scale, scale, rgb)
            x += advance

    def png(self) -> bytes:
        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        raw = b"".join(b"\x00" + bytes(row) for row in self.rows)
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)  # 8-bit RGB
        return (
            b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
        )


def artwork(lines: tuple[str, str], top: RGB, bottom: RGB, bars: RGB, heights: tuple[int, ...]) -> bytes:
    """Square art in the style of the site's images: sound-wave bars over a gradient, two words."""
    size = 1400
    canvas = Canvas(size, size)
    for y in range(size):
        f = y / (size - 1)
        canvas.rect(0, y, size, 1, tuple(round(a + (b - a) * f) for a, b in zip(top, bottom, strict=True)))
    cream = (250, 244, 232)
    bar, gap = 30, 22
    x = (size - len(heights) * (bar + gap) + gap) // 2
    middle = 520
    for h in heights:
        canvas.rect(x, middle - h // 2, bar, h, bars)
        x += bar + gap
    canvas.rect(180, 860, size - 360, 8, cream)
    canvas.text(lines[0], size // 2, 930, 20, cream)
    canvas.text(lines[1], size // 2, 1110, 20, cream)
    return canvas.png()


WAVE = (60, 130, 230, 110, 300, 400, 290, 480, 360, 200, 420, 560, 390, 250, 470, 330, 210, 380, 170, 100, 230, 80)
# (file under content/, the two lines of text, gradient top and bottom, bar colour, bar heights)
ARTWORK = (
    ("podcast/cover.png", ("SLOW", "SIGNAL"), (16, 28, 60), (36, 66, 122), (242, 142, 44), WAVE),
    (
        "posts/2026-11-14-episode-2-the-feed-is-the-subscription/cover.png",
        ("EPISODE", "2"),
        (10, 40, 38),
        (20, 84, 76),
        (96, 214, 196),
        WAVE[::-1],
    ),
)


def main() -> None:
    for name, *art in ARTWORK:
        path = CONTENT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(artwork(*art))
        print(f"{path.relative_to(ROOT)}: 1400 x 1400, {path.stat().st_size:,} bytes")
    for episode in EPISODES:
        folder = CONTENT / "posts" / episode.folder
        if not folder.is_dir():
            sys.exit(f"{folder.relative_to(ROOT)} not found: write the episode's index.md first")
        path = folder / "episode.mp3"
        path.write_bytes(encode_mp3(synthesize(episode)))
        tag_mp3(path, episode)
        print(f"{path.relative_to(ROOT)}: {episode.seconds} s, {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
