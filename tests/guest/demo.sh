#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# demo.sh - what `make demo` shows inside the VM: userspace/demo/demo.sh
exec anontop_demo.sh "$@"
