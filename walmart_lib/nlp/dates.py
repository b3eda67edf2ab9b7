"""Dates in plain English, resolved against a given ``today`` into inclusive date ranges.

Understood: today/yesterday; this/last week (Monday-Sunday), month and year; "past/last N
days|weeks|months|years"; "N days|weeks|months ago"; month names ("in july", "may 2025";
"may" only where it cannot be the verb); days ("june 5th", "5th of june", "the 12th", "last
tuesday"); seasons after a preposition (spring = Mar-May, summer = Jun-Aug, fall = Sep-Nov,
winter = Dec-Feb); years; quarters; and the combinators "since X" (start of X to today),
"between X and Y" / "from X to Y" (start of X to end of Y). A bare month, day or season means
the most recent one that has begun, and no range runs past today.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["DateMatch", "find_dates", "resolve_dates"]

MONTHS: dict[str, int] = {}
for _i in range(1, 13):
    MONTHS[calendar.month_name[_i].lower()] = _i
    MONTHS[calendar.month_abbr[_i].lower()] = _i
MONTHS["sept"] = 9
WEEKDAYS = {calendar.day_name[i].lower(): i for i in range(7)}
WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "a couple of": 2, "a couple": 2, "couple of": 2, "couple": 2, "a few": 3, "few": 3,
}  # fmt: skip
SEASON_START = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}
#: Words before "may" / a season that make it a date, not the verb or a product ("spring water").
DATE_LEAD = {
    "in", "since", "during", "of", "from", "for", "last", "this", "between", "and", "to",
    "until", "through", "early", "late", "mid", "over", "the", "before", "after", "past",
}  # fmt: skip
SEASON_FOODS = {"water", "valley", "mix", "onion", "onions", "rolls", "roll", "sausage", "squash"}

_B, _E = r"(?<![\w'])", r"(?![\w'])"
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
)
_NUM = (
    r"(?:\d{1,3}|a couple of|a couple|couple of|couple|a few|few|an|a|one|two|three|four|"
    r"five|six|seven|eight|nine|ten|eleven|twelve)"
)
_YEAR = r"(?:19|20)\d\d"
_UNIT = r"(?:days?|weeks?|months?|years?)"

Range = tuple[date, date]


@dataclass(frozen=True)
class DateMatch:
    """A date phrase at ``text[start:end]`` meaning ``date_from``..``date_to`` (inclusive)."""

    start: int
    end: int
    date_from: date
    date_to: date


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(d: date, months: int) -> date:
    idx = d.year * 12 + d.month - 1 + months
    year, month0 = divmod(idx, 12)
    return date(year, month0 + 1, min(d.day, calendar.monthrange(year, month0 + 1)[1]))


def _number(word: str) -> int:
    word = " ".join(word.split())
    return int(word) if word.isdigit() else WORD_NUMBERS[word]


class _Resolver:
    """The handlers for one ``today``; each maps a regex match to a range or ``None``."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.week_start = today - timedelta(days=today.weekday())

    def month(self, month: int, year: int | None = None, last: bool = False) -> Range:
        t = self.today
        if year is None:
            year = t.year if month <= t.month else t.year - 1
            if last and month == t.month:
                year -= 1
        return date(year, month, 1), _month_end(year, month)

    def day(self, month: int, day: int, year: int | None) -> Range | None:
        years = [year] if year else [self.today.year, self.today.year - 1]
        for y in years:
            try:
                d = date(y, month, day)
            except ValueError:
                return None
            if year or d <= self.today:
                return d, d
        return None

    def on_month_day(self, m: re.Match[str]) -> Range | None:
        year = int(m["year"]) if m["year"] else None
        return self.day(MONTHS[m["month"]], int(m["day"]), year)

    def on_month(self, m: re.Match[str]) -> Range | None:
        text = m.string
        if m["month"] == "may" and not m["year"] and not m["which"]:
            before = text[: m.start()].split()
            if not before or before[-1] not in DATE_LEAD:
                return None  # "may i", "you may": the verb
        if m["month"] in ("mar", "jan", "dec") and not m["year"] and not m["which"]:
            before = text[: m.start()].split()
            if not before or before[-1] not in DATE_LEAD:
                return None
        year = int(m["year"]) if m["year"] else None
        return self.month(MONTHS[m["month"]], year, last=m["which"] == "last")

    def on_last_n(self, m: re.Match[str]) -> Range:
        t = self.today
        unit = m["unit"].rstrip("s")
        if m["n"] is None and m["which"] in ("last", "previous") and not m["unit"].endswith("s"):
            return self.calendar_unit("last", unit)
        n = _number(m["n"]) if m["n"] else 1
        if unit == "day":
            return t - timedelta(days=n), t
        if unit == "week":
            return t - timedelta(weeks=n), t
        if unit == "month":
            return _add_months(t, -n), t
        return _add_months(t, -12 * n), t

    def calendar_unit(self, which: str, unit: str) -> Range:
        t = self.today
        if unit == "week":
            if which == "this":
                return self.week_start, t
            return self.week_start - timedelta(days=7), self.week_start - timedelta(days=1)
        if unit == "month":
            if which == "this":
                return t.replace(day=1), t
            first = _add_months(t.replace(day=1), -1)
            return first, _month_end(first.year, first.month)
        if which == "this":
            return date(t.year, 1, 1), t
        return date(t.year - 1, 1, 1), date(t.year - 1, 12, 31)

    def on_this_last(self, m: re.Match[str]) -> Range:
        return self.calendar_unit(m["which"], m["unit"])

    def on_ago(self, m: re.Match[str]) -> Range:
        n = _number(m["n"])
        unit = m["unit"].rstrip("s")
        if unit == "day":
            d = self.today - timedelta(days=n)
            return d, d
        if unit == "week":
            start = self.week_start - timedelta(weeks=n)
            return start, start + timedelta(days=6)
        if unit == "month":
            first = _add_months(self.today.replace(day=1), -n)
            return first, _month_end(first.year, first.month)
        y = self.today.year - n
        return date(y, 1, 1), date(y, 12, 31)

    def on_season(self, m: re.Match[str]) -> Range | None:
        text = m.string
        after = text[m.end() :].split()
        if after and after[0].strip(".,!?") in SEASON_FOODS:
            return None
        if not m["which"]:
            before = text[: m.start()].split()
            if not before or before[-1] not in DATE_LEAD:
                return None
        first = SEASON_START[m["season"]]
        t = self.today
        start = date(t.year, first, 1)
        if start > t:
            start = date(t.year - 1, first, 1)
        if m["which"] == "last" and _add_months(start, 3) > t:
            start = date(start.year - 1, first, 1)
        return start, _add_months(start, 3) - timedelta(days=1)

    def on_weekday(self, m: re.Match[str]) -> Range:
        back = (self.today.weekday() - WEEKDAYS[m["wd"]]) % 7 or 7
        d = self.today - timedelta(days=back)
        return d, d

    def on_nth(self, m: re.Match[str]) -> Range | None:
        day = int(m["day"])
        for first in (self.today.replace(day=1), _add_months(self.today.replace(day=1), -1)):
            try:
                d = first.replace(day=day)
            except ValueError:
                continue
            if d <= self.today:
                return d, d
        return None

    def on_year(self, m: re.Match[str]) -> Range | None:
        before = m.string[: m.start()].split()
        if not before or before[-1] not in DATE_LEAD | {"year"}:
            return None
        y = int(m["year"])
        return date(y, 1, 1), date(y, 12, 31)

    def on_quarter(self, m: re.Match[str]) -> Range:
        q = int(m["q"] or m["q2"])
        year = int(m["year"]) if m["year"] else self.today.year
        start = date(year, 3 * q - 2, 1)
        if start > self.today and not m["year"]:
            start = date(year - 1, 3 * q - 2, 1)
        return start, _add_months(start, 3) - timedelta(days=1)

    def patterns(self) -> list[tuple[re.Pattern[str], Callable[[re.Match[str]], Range | None]]]:
        t = self.today
        return [
            (re.compile(_B + r"(?:today|tonight|this morning)" + _E), lambda m: (t, t)),
            (re.compile(_B + r"yesterday" + _E), lambda m: (t - timedelta(1), t - timedelta(1))),
            (
                re.compile(
                    _B + rf"(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?"
                    rf"(?:,?\s+(?P<year>{_YEAR}))?" + _E
                ),
                self.on_month_day,
            ),
            (
                re.compile(
                    _B + rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+of\s+(?P<month>{_MONTH})"
                    rf"(?:,?\s+(?P<year>{_YEAR}))?" + _E
                ),
                self.on_month_day,
            ),
            (re.compile(_B + rf"(?P<n>{_NUM})\s+(?P<unit>{_UNIT})\s+ago" + _E), self.on_ago),
            (
                re.compile(
                    _B + rf"(?P<which>last|past|previous)\s+(?:(?P<n>{_NUM})\s+)?"
                    rf"(?P<unit>{_UNIT})" + _E
                ),
                self.on_last_n,
            ),
            (
                re.compile(_B + r"(?P<which>this)\s+(?P<unit>week|month|year)" + _E),
                self.on_this_last,
            ),
            (
                re.compile(
                    _B + rf"(?:(?P<which>last|this)\s+)?(?P<month>{_MONTH})\.?"
                    rf"(?:,?\s+(?P<year>{_YEAR}))?" + _E
                ),
                self.on_month,
            ),
            (
                re.compile(
                    _B
                    + r"(?:(?P<which>this|last)\s+)?(?P<season>spring|summer|fall|autumn|winter)"
                    + _E
                ),
                self.on_season,
            ),
            (
                re.compile(
                    _B + r"(?:last|on|this past)\s+(?P<wd>" + "|".join(WEEKDAYS) + r")" + _E
                ),
                self.on_weekday,
            ),
            (
                re.compile(
                    _B + rf"(?:q(?P<q>[1-4])|quarter\s+(?P<q2>[1-4]))(?:\s+(?P<year>{_YEAR}))?" + _E
                ),
                self.on_quarter,
            ),
            (re.compile(_B + r"the\s+(?P<day>\d{1,2})(?:st|nd|rd|th)" + _E), self.on_nth),
            (re.compile(_B + rf"(?P<year>{_YEAR})" + _E), self.on_year),
        ]


def _simple(text: str, today: date) -> list[DateMatch]:
    found: list[DateMatch] = []
    taken = [False] * len(text)
    for pattern, handler in _Resolver(today).patterns():
        for m in pattern.finditer(text):
            if any(taken[m.start() : m.end()]):
                continue
            rng = handler(m)
            if rng is None:
                continue
            found.append(DateMatch(m.start(), m.end(), rng[0], min(rng[1], today)))
            for i in range(m.start(), m.end()):
                taken[i] = True
    return sorted(found, key=lambda d: d.start)


_SINCE = re.compile(r"(?:ever\s+)?since\s+$")
_FROM = re.compile(r"(?:between|from)\s+$")
_JOIN = re.compile(r"^\s*(?:and|to|through|thru|until|till|-)\s+")


def find_dates(text: str, today: date) -> list[DateMatch]:
    """Every date phrase in ``text`` with its resolved range, combinators applied."""
    lower = text.lower()
    simple = _simple(lower, today)
    out: list[DateMatch] = []
    i = 0
    while i < len(simple):
        cur = simple[i]
        before = lower[max(0, cur.start - 16) : cur.start]
        if (m := _FROM.search(before)) and i + 1 < len(simple):
            nxt = simple[i + 1]
            if _JOIN.match(lower[cur.end : nxt.start]):
                start = cur.start - (len(before) - m.start())
                out.append(
                    DateMatch(start, nxt.end, cur.date_from, max(cur.date_from, nxt.date_to))
                )
                i += 2
                continue
        if m := _SINCE.search(before):
            start = cur.start - (len(before) - m.start())
            out.append(DateMatch(start, cur.end, cur.date_from, today))
        else:
            out.append(cur)
        i += 1
    return out


def resolve_dates(text: str, today: date) -> tuple[date, date] | None:
    """The overall range the text speaks about (spanning all its date phrases), or ``None``."""
    found = find_dates(text, today)
    if not found:
        return None
    return min(d.date_from for d in found), max(d.date_to for d in found)
