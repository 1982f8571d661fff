# Pins everything that would otherwise vary between runs of `render`.
export NEWSBEAT_NOW=2026-11-27T09:00:00Z
export NEWSBEAT_BOUNDARY==_GoldenBoundary0123456789abcdefgh
export NEWSBEAT_SECRET=golden-test-secret-0123456789abcdef
GOLDEN_TO=zoe.mueller@example.org
GOLDEN_NAME="Zoë Müller"
