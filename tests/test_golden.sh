#!/bin/sh
# The golden-output test (see tests/golden/golden.sh): JSON, text and HTML
# of every testdata capture unchanged unless a commit means to change them.
exec sh tests/golden/golden.sh check
