// Envelope timestamps (wire spec §5.1, §20 item 23): the exact text the reference's time 0.3.47
// RFC 3339 formatter writes, and a parser with that crate's rules (used only for TTL, §10).
// Pure: the caller passes the instant; this module never reads a clock.

const MS_PER_DAY = 86_400_000;
const NANOS_PER_MS = 1_000_000;
// time refuses to format years outside 0000..=9999 (formattable.rs, Rfc3339).
const MIN_EPOCH_MS = -62_167_219_200_000; // 0000-01-01T00:00:00Z
const MAX_EPOCH_MS = 253_402_300_800_000; // 10000-01-01T00:00:00Z (exclusive)

/**
 * `YYYY-MM-DDTHH:MM:SS[.fraction]Z` in UTC, as `OffsetDateTime::now_utc().format(&Rfc3339)`:
 * the fraction only when the nanoseconds are non-zero, with trailing zeros trimmed (1-9 digits).
 *
 * @param epochMs integer milliseconds since the Unix epoch
 * @param extraNanos sub-millisecond nanoseconds, 0..=999999
 * @default extraNanos 0
 */
export function formatTimestamp(epochMs: number, extraNanos = 0): string {
  if (!Number.isSafeInteger(epochMs)) throw new RangeError(`epochMs must be a safe integer, got ${epochMs}`);
  if (!Number.isInteger(extraNanos) || extraNanos < 0 || extraNanos >= NANOS_PER_MS) {
    throw new RangeError(`extraNanos must be an integer in 0..999999, got ${extraNanos}`);
  }
  // The reference would print an empty string here (format error swallowed); our clock never gets here.
  if (epochMs < MIN_EPOCH_MS || epochMs >= MAX_EPOCH_MS) {
    throw new RangeError(`epochMs ${epochMs} is outside years 0000..9999`);
  }
  const msOfDay = ((epochMs % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;
  const days = (epochMs - msOfDay) / MS_PER_DAY;
  const [year, month, day] = civilFromDays(days);
  const hour = Math.floor(msOfDay / 3_600_000);
  const minute = Math.floor(msOfDay / 60_000) % 60;
  const second = Math.floor(msOfDay / 1000) % 60;
  const nanos = (msOfDay % 1000) * NANOS_PER_MS + extraNanos;
  let text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}`;
  if (nanos !== 0) text += '.' + pad(nanos, 9).replace(/0+$/, '');
  return text + 'Z';
}

// YYYY-MM-DD, any single byte, HH:MM:SS, optional . and digits, Z/z or ±HH:MM (parsable.rs, Rfc3339).
// The separator is one *byte* in the reference, so a non-ASCII character there fails: [^\u0080-\uffff].
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[^\u0080-\uffff](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 timestamp the way time 0.3.47 does (`OffsetDateTime::parse(.., &Rfc3339)`)
 * and returns milliseconds since the epoch, with sub-millisecond precision as a fraction.
 * undefined when the reference would fail to parse it.
 *
 * Accepted as in the reference: any single ASCII separator between date and time, `z`, any number
 * of fraction digits (digits past the ninth are ignored), offsets up to ±23:59, and a leap second
 * `:60` only where one may occur (the last second of a month in UTC), read as :59.999999999.
 */
export function parseTimestamp(text: string): number | undefined {
  if (typeof text !== 'string') throw new TypeError('timestamp must be a string');
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  let second = Number(m[6]);
  const fraction = m[7];
  let nanos = fraction === undefined ? 0 : Number((fraction + '00000000').slice(0, 9));
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const offHour = Number(m[10]);
    const offMinute = Number(m[11]);
    if (offHour > 23 || offMinute > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offHour * 60 + offMinute);
  }
  const isLeap = second === 60;
  if (isLeap) {
    second = 59;
    nanos = 999_999_999;
  }
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const localMs = daysFromCivil(year, month, day) * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000;
  const utcMs = localMs - offsetMinutes * 60_000;
  if (isLeap) {
    // is_valid_leap_second_stand_in: in UTC it must be 23:59:59.999999999 on a month's last day.
    const msOfDay = ((utcMs % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;
    const [y, mo, d] = civilFromDays((utcMs - msOfDay) / MS_PER_DAY);
    if (msOfDay !== MS_PER_DAY - 1000 || d !== daysInMonth(y, mo)) return undefined;
  }
  return utcMs + nanos / NANOS_PER_MS;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

// Howard Hinnant's civil-date algorithms; Date.UTC would map years 0..99 to 1900..1999.
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}
