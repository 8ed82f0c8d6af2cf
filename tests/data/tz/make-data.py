#!/usr/bin/env python3
"""Regenerate the TZif fixtures of test-tz (run from this directory).

  America/New_York  slim build by zic -b slim (transitions to 2007, then
                    only the footer "EST5EDT,M3.2.0,M11.1.0")
  Test/V1           version-1 file: the 32-bit part of the fat Europe/London
  Test/Truncated    first 100 bytes of the fat Europe/London
  Test/Footer       v3, one transition (2000), footer <+0230>-2:30<+04>-4,J60/-1,300/26:30
  Test/BadFooter    v3, one transition (2000), footer "XYZ5ABC,M13.1.0,M11.1.0"
  Test/NotTZif      plain text
"""
import os, shutil, struct, subprocess, tempfile

FAT = "/usr/share/zoneinfo/Europe/London"

def header(version, isut, isstd, leap, time, typ, char):
    return b"TZif" + version + b"\0" * 15 + struct.pack(">6I", isut, isstd, leap, time, typ, char)

def footer_only(utoff, abbr, footer):
    """One transition (2000-01-01T00:00Z, to standard time), then the footer."""
    chars = abbr + b"\0"
    types = struct.pack(">iBB", utoff, 0, 0)
    v1 = header(b"3", 0, 0, 0, 1, 1, len(chars)) + struct.pack(">iB", 946684800, 0) + types + chars
    v2 = header(b"3", 0, 0, 0, 1, 1, len(chars)) + struct.pack(">qB", 946684800, 0) + types + chars
    return v1 + v2 + b"\n" + footer + b"\n"

os.makedirs("Test", exist_ok=True)
os.makedirs("America", exist_ok=True)
with tempfile.TemporaryDirectory() as d:
    subprocess.run(["zic", "-b", "slim", "-d", d, "/usr/share/zoneinfo/tzdata.zi"], check=True)
    shutil.copyfile(os.path.join(d, "America/New_York"), "America/New_York")
fat = open(FAT, "rb").read()
isut, isstd, leap, time, typ, char = struct.unpack(">6I", fat[20:44])
v1len = 44 + time * 5 + typ * 6 + char + leap * 8 + isstd + isut
open("Test/V1", "wb").write(fat[:4] + b"\0" + fat[5:v1len])
open("Test/Truncated", "wb").write(fat[:100])
open("Test/Footer", "wb").write(footer_only(9000, b"+0230", b"<+0230>-2:30<+04>-4,J60/-1,300/26:30"))
open("Test/BadFooter", "wb").write(footer_only(-18000, b"XYZ", b"XYZ5ABC,M13.1.0,M11.1.0"))
open("Test/NotTZif", "wb").write(b"this is not a zone file\n")
