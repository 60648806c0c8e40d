"""How devices and sessions are shown: user-agent details, synthesized names, relative times.

Upstream parses user agents with ua-parser and stores the parts on the session; this keeps the raw
header and reads the few parts the device lists show (browser and major version, OS, form factor).
"""
import functools
import re
from dataclasses import dataclass

# (pattern with the version as group 1 when there is one, browser name); first match wins.
BROWSERS = [
    (r"Firefox-iOS-FxA/(\d[\w.]*)", "Firefox"),
    (r"Firefox-Android-FxAccounts/(\d[\w.]*)", "Firefox"),
    (r"FxiOS/(\d[\w.]*)", "Firefox"),
    (r"Mobile-(?:Android|iOS)-Sync/()", "Firefox"),
    (r"Edg(?:e|A|iOS)?/(\d[\w.]*)", "Edge"),
    (r"OPR/(\d[\w.]*)", "Opera"),
    (r"Firefox/(\d[\w.]*)", "Firefox"),
    (r"CriOS/(\d[\w.]*)", "Chrome"),
    (r"Chrome/(\d[\w.]*)", "Chrome"),
    (r"Version/(\d[\w.]*).*Safari/", "Safari"),
]
WINDOWS_VERSIONS = {"10.0": "10", "6.3": "8.1", "6.2": "8", "6.1": "7", "6.0": "Vista"}


@dataclass(frozen=True)
class UserAgent:
    browser: str | None = None
    browser_version: str | None = None
    os: str | None = None
    os_version: str | None = None
    form_factor: str | None = None
    device_type: str | None = None  # "mobile" or "tablet"; None for desktops

    @property
    def browser_label(self):
        """upstream's ``userAgent`` field: "Firefox 120", "Firefox" or ""."""
        if not self.browser:
            return ""
        major = (self.browser_version or "").split(".")[0]
        return f"{self.browser} {major}" if major else self.browser

    @property
    def synthesized_name(self):
        """upstream's synthesizeName: "Firefox 120, macOS 14", the form factor replacing the OS."""
        name = self.browser_label
        if name and (self.os or self.form_factor):
            name += ", "
        if self.form_factor:
            return name + self.form_factor
        if self.os:
            name += f"{self.os} {self.os_version}" if self.os_version else self.os
        return name


def _os(header):
    if match := re.search(r"Windows NT (\d+\.\d+)", header):
        return "Windows", WINDOWS_VERSIONS.get(match.group(1), match.group(1))
    if match := re.search(r"(?:iPhone|iPad|CPU) OS (\d+)(?:[_.](\d+))?", header):
        return "iOS", ".".join(part for part in match.groups() if part)
    if match := re.search(r"Mac OS X (\d+)[_.](\d+)", header):
        return "macOS", f"{match.group(1)}.{match.group(2)}"
    if match := re.search(r"Android (\d+(?:\.\d+)?)", header):
        return "Android", match.group(1)
    if "CrOS" in header:
        return "Chrome OS", None
    if "Linux" in header:
        return "Linux", None
    return None, None


# Pure, and the same few headers come back on every device list (a dozen regular expressions
# each); the cache is bounded, since a header is whatever a client sent.
@functools.lru_cache(maxsize=1024)
def parse_user_agent(header):
    header = header or ""
    browser = version = None
    for pattern, name in BROWSERS:
        if match := re.search(pattern, header):
            browser, version = name, match.group(1) or None
            break
    os_name, os_version = _os(header)
    form_factor = next((name for name in ("iPad", "iPhone") if name in header), None)
    if form_factor == "iPad" or "Tablet" in header:
        device_type = "tablet"
    elif form_factor or "Mobile" in header or os_name in ("Android", "iOS"):
        device_type = "mobile"
    else:
        device_type = None
    return UserAgent(browser, version, os_name, os_version, form_factor, device_type)


# moment.js's English relative times, which upstream's *Formatted fields use.
_UNITS = [
    (45, "a few seconds", None, 1),
    (90, "a minute", None, 1),
    (45 * 60, None, "minutes", 60),
    (90 * 60, "an hour", None, 1),
    (22 * 3600, None, "hours", 3600),
    (36 * 3600, "a day", None, 1),
    (26 * 86400, None, "days", 86400),
    (45 * 86400, "a month", None, 1),
    (320 * 86400, None, "months", 30 * 86400),
    (548 * 86400, "a year", None, 1),
]


def relative_time(then_ms, now_ms):
    """"a few seconds ago", "5 minutes ago", "2 years ago"… for a past time."""
    seconds = max(0, (now_ms - then_ms) / 1000)
    for limit, fixed, plural, unit in _UNITS:
        if seconds < limit:
            return f"{fixed or f'{round(seconds / unit)} {plural}'} ago"
    return f"{max(2, round(seconds / (365 * 86400)))} years ago"
