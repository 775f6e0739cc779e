#!/usr/bin/env bash
# Fails at once, with one line, where Odoo 18.0 cannot be imported.
source "$(dirname "$0")/lib.sh"
require_odoo
