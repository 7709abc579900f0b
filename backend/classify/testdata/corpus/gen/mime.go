package main

import "mime"

// mimeWord encodes a non-ASCII header value (RFC 2047).
func mimeWord(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return mime.BEncoding.Encode("utf-8", s)
		}
	}
	return s
}
