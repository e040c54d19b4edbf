"""Chinese formats, except that forms write dates as ISO: `<input type="date">` only reads
"2026-11-29", and Django's own Chinese formats would prefill "2026/11/29" (an empty box)."""

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%n月%j日"]
