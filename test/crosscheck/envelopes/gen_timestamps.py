import json, sys, datetime
UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
cases = []
YEAR0_MS = -62_167_219_200_000  # 0000-01-01T00:00:00Z: 366 days (year 0 is leap) before 0001-01-01

def fmt(ms, nanos):
    if ms == YEAR0_MS:
        return '0000-01-01T00:00:00Z'  # Python's datetime stops at year 1; written out by hand
    # time 0.3.47 Rfc3339 (formattable.rs): UTC 'Z', fraction only when non-zero, trailing zeros trimmed.
    d = EPOCH + datetime.timedelta(milliseconds=ms)
    total_ns = (ms % 1000) * 1_000_000 + nanos
    s = '%04d-%02d-%02dT%02d:%02d:%02d' % (d.year, d.month, d.day, d.hour, d.minute, d.second)
    if total_ns:
        s += '.' + ('%09d' % total_ns).rstrip('0')
    return s + 'Z'

def ms_of(y, mo, d, h=0, mi=0, s=0, off_min=0):
    dt = datetime.datetime(y, mo, d, h, mi, s, tzinfo=datetime.timezone(datetime.timedelta(minutes=off_min)))
    return (dt - EPOCH) // datetime.timedelta(milliseconds=1)

for cid, ms, ns, comment in [
    ('format-whole-second', ms_of(2026, 3, 8, 1, 2, 3), 0, 'no fraction when zero'),
    ('format-half-second', ms_of(2026, 3, 8, 1, 2, 3) + 500, 0, 'one digit: trailing zeros trimmed'),
    ('format-millis', ms_of(2026, 3, 8, 1, 2, 3) + 123, 0, 'milliseconds'),
    ('format-micros', ms_of(2026, 3, 8, 1, 2, 3) + 123, 456_000, 'microseconds (§19.4 timestamp)'),
    ('format-nanos', ms_of(2026, 3, 8, 1, 2, 3) + 123, 456_789, 'all nine digits'),
    ('format-one-nano', ms_of(2026, 3, 8, 1, 2, 3), 1, 'leading zeros of the fraction kept'),
    ('format-ten-millis', ms_of(2026, 3, 8, 1, 2, 3) + 10, 0, '.01'),
    ('format-epoch', 0, 0, 'the epoch'),
    ('format-before-epoch', -1, 0, 'negative epoch ms: 1969-12-31T23:59:59.999Z'),
    ('format-leap-day', ms_of(2024, 2, 29, 23, 59, 59) + 999, 0, 'leap day'),
    ('format-year-0', ms_of(1, 1, 1) - 366 * 86_400_000, 0, 'year 0000 (proleptic Gregorian, leap year), the lowest the reference formats'),
    ('format-year-9999', ms_of(9999, 12, 31, 23, 59, 59) + 999, 999_999, 'the highest instant the reference formats'),
]:
    cases.append({'id': cid, 'comment': comment, 'op': 'format', 'epochMs': ms, 'extraNanos': ns, 'text': fmt(ms, ns)})
assert cases[-2]['text'] == '0000-01-01T00:00:00Z', cases[-2]['text']

for cid, ms, comment in [('format-reject-year-10000', ms_of(9999, 12, 31, 23, 59, 59) + 1000, 'years above 9999 cannot be formatted'),
                         ('format-reject-year-minus-1', ms_of(1, 1, 1) - 366 * 86_400_000 - 1, 'years below 0 cannot be formatted')]:
    cases.append({'id': cid, 'comment': comment, 'op': 'format', 'epochMs': ms, 'extraNanos': 0, 'error': 'RangeError'})

base = ms_of(2026, 3, 8, 1, 2, 3)
for cid, text, ms, comment in [
    ('parse-z', '2026-03-08T01:02:03Z', base, 'plain UTC'),
    ('parse-lower-z', '2026-03-08T01:02:03z', base, 'z is case-insensitive (parsable.rs ascii_char_ignore_case)'),
    ('parse-fraction-1', '2026-03-08T01:02:03.5Z', base + 500, 'one fraction digit'),
    ('parse-fraction-9', '2026-03-08T01:02:03.123456789Z', base + 123.456789, 'nine digits; sub-ms as a fraction of a ms'),
    ('parse-fraction-12', '2026-03-08T01:02:03.123456789999Z', base + 123.456789, 'digits past the ninth are ignored (time 0.3.47)'),
    ('parse-offset-plus', '2026-03-08T02:32:03+01:30', base, 'a positive offset'),
    ('parse-offset-minus', '2026-03-07T23:02:03-02:00', base, 'a negative offset'),
    ('parse-space-separator', '2026-03-08 01:02:03Z', base, 'any single byte separates date and time (parsable.rs)'),
    ('parse-leap-second', '2016-12-31T23:59:60Z', ms_of(2016, 12, 31, 23, 59, 59) + 999.999999, 'leap second at the end of a month, read as :59.999999999'),
    ('parse-leap-second-offset', '2017-01-01T00:59:60+01:00', ms_of(2016, 12, 31, 23, 59, 59) + 999.999999, 'leap second checked in UTC'),
    ('parse-leap-day', '2024-02-29T00:00:00Z', ms_of(2024, 2, 29), 'leap day exists in 2024'),
    ('parse-year-0', '0000-01-01T00:00:00Z', ms_of(1, 1, 1) - 366 * 86_400_000, 'year 0000'),
    ('parse-reject-empty', '', None, 'empty'),
    ('parse-reject-no-offset', '2026-03-08T01:02:03', None, 'an offset is required'),
    ('parse-reject-date-only', '2026-03-08', None, 'date only'),
    ('parse-reject-empty-fraction', '2026-03-08T01:02:03.Z', None, 'a . needs digits'),
    ('parse-reject-short-year', '226-03-08T01:02:03Z', None, 'exactly four year digits'),
    ('parse-reject-month-13', '2026-13-08T01:02:03Z', None, 'month range'),
    ('parse-reject-feb-29-2026', '2026-02-29T01:02:03Z', None, 'no Feb 29 in 2026'),
    ('parse-reject-hour-24', '2026-03-08T24:00:00Z', None, 'hour range'),
    ('parse-reject-minute-60', '2026-03-08T01:60:03Z', None, 'minute range'),
    ('parse-reject-offset-hour-24', '2026-03-08T01:02:03+24:00', None, 'offset hour at most 23'),
    ('parse-reject-offset-minute-60', '2026-03-08T01:02:03+01:60', None, 'offset minute at most 59'),
    ('parse-reject-offset-no-colon', '2026-03-08T01:02:03+0100', None, 'offset needs a colon'),
    ('parse-reject-leap-not-month-end', '2026-03-08T23:59:60Z', None, 'a leap second only at the end of a month'),
    ('parse-reject-leap-not-2359', '2016-12-31T22:59:60Z', None, 'a leap second only at 23:59 UTC'),
    ('parse-reject-trailing', '2026-03-08T01:02:03Zx', None, 'no trailing characters'),
    ('parse-reject-non-ascii-separator', '2026-03-08\u00e901:02:03Z', None, 'the separator is one byte; a 2-byte character leaves garbage'),
    ('parse-reject-unicode-digit', '2026-03-08T01:02:0\u0663Z', None, 'ASCII digits only'),
]:
    c = {'id': cid, 'comment': comment, 'op': 'parse', 'text': text, 'epochMs': ms}
    cases.append(c)

json.dump({'description': 'Envelope timestamps: format = what time 0.3.47 OffsetDateTime::format(&Rfc3339) prints for a UTC instant '
           '(epochMs + extraNanos); parse = what OffsetDateTime::parse(.., &Rfc3339) accepts, as epoch milliseconds (null = refused). '
           'Expected values computed with Python datetime from the rules read in the time 0.3.47 source (formattable.rs, parsable.rs).',
           'spec': 'toq-wire-protocol.md §5.1, §10, §20 item 23', 'cases': cases}, open(sys.argv[1], 'w'), indent=2, ensure_ascii=False)
print(len(cases))
