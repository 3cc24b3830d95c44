/* SPDX-License-Identifier: MIT */
/*
 * Text a guest sends the host compositor: window titles and app_ids, with
 * vsomm's prefixes.
 */
#ifndef VSOMM_TEXT_H
#define VSOMM_TEXT_H

/*
 * libwayland 1.21 refuses messages over 4096 bytes (and the host connection
 * dies with them): a prefixed string stays well below that.
 */
#define VSOMM_TEXT_MAX 3072

/**
 * prefix + value as a new string (malloc) for a host title or app_id: invalid
 * UTF-8 replaced by U+FFFD, cut at a character boundary at VSOMM_TEXT_MAX
 * bytes.  prefix or value may be NULL.  NULL on ENOMEM.
 */
char *vsomm_prefixed_text(const char *prefix, const char *value);

#endif
