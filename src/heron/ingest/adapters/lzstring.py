"""Decompression of lz-string's base64 form (``compressToBase64``), which posthog-js calls lz64.

lz-string is an LZW variant over UTF-16 code units: a bit stream of dictionary codes whose
width grows as the dictionary fills; code 0 and 1 introduce a new 8- or 16-bit character,
code 2 ends the stream. In base64 form each character carries 6 bits, most significant first.
"""

from __future__ import annotations

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_VALUES = {char: index for index, char in enumerate(_ALPHABET)}
_BITS_PER_CHAR = 6


class LZStringError(ValueError):
    """The text is not lz-string base64 output."""


class LZStringTooLarge(LZStringError):
    """The decompressed text would pass the given limit."""


class _BitReader:
    """Bits of a sequence of 6-bit values, most significant bit of each value first."""

    def __init__(self, values: list[int]) -> None:
        self.values = values
        self.index = 0
        self.mask = 1 << (_BITS_PER_CHAR - 1)

    @property
    def exhausted(self) -> bool:
        return self.index >= len(self.values)

    def read(self, width: int) -> int:
        """``width`` bits as an integer, least significant bit first; zeros past the end."""
        result = 0
        for shift in range(width):
            current = self.values[self.index] if self.index < len(self.values) else 0
            if current & self.mask:
                result |= 1 << shift
            self.mask >>= 1
            if self.mask == 0:
                self.mask = 1 << (_BITS_PER_CHAR - 1)
                self.index += 1
        return result


def decompress_from_base64(text: str, limit: int) -> str:
    """The original string, of at most ``limit`` UTF-16 code units.

    Raises :class:`LZStringError` for input lz-string never makes, and
    :class:`LZStringTooLarge` past the limit (LZW output can grow quadratically).
    """
    try:
        values = [_VALUES[char] for char in text.strip().replace(" ", "+")]
    except KeyError:
        raise LZStringError("not lz-string base64: unexpected character") from None
    if not values:
        return ""
    units = _decompress(_BitReader(values), limit)
    try:
        return "".join(units).encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeError:
        raise LZStringError("not lz-string base64: broken UTF-16") from None


def _decompress(reader: _BitReader, limit: int) -> list[str]:
    dictionary: list[str] = ["", "", ""]  # codes 0-2 are markers, never entries
    width = 3
    enlarge_in = 4
    first = reader.read(2)
    if first == 2:
        return []
    if first not in (0, 1):
        raise LZStringError("not lz-string base64: bad first marker")
    current = chr(reader.read(8 if first == 0 else 16))
    dictionary.append(current)
    previous = current
    result = [current]
    size = 1
    while True:
        if reader.exhausted:
            raise LZStringError("not lz-string base64: no end marker")
        code = reader.read(width)
        if code == 2:
            return result
        if code in (0, 1):
            dictionary.append(chr(reader.read(8 if code == 0 else 16)))
            code = len(dictionary) - 1
            enlarge_in -= 1
            if enlarge_in == 0:
                enlarge_in, width = 1 << width, width + 1
        if code < len(dictionary):
            entry = dictionary[code]
        elif code == len(dictionary):
            entry = previous + previous[0]
        else:
            raise LZStringError("not lz-string base64: unknown code")
        size += len(entry)
        if size > limit:
            raise LZStringTooLarge(f"decompressed body exceeds the limit of {limit} characters")
        result.append(entry)
        dictionary.append(previous + entry[0])
        enlarge_in -= 1
        previous = entry
        if enlarge_in == 0:
            enlarge_in, width = 1 << width, width + 1
