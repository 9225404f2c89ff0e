//go:build !v2

package main

// Version 1 (the default build) stores format 1 items in DATA_DIR/items.
const (
	storeFormat  = 1
	storeDirName = "items"
)

func encodeItem(it item) ([]byte, error)   { return encodeV1(it) }
func decodeItem(data []byte) (item, error) { return decodeV1(data) }

// migrateStore has nothing to do in version 1: it is the first format.
func migrateStore(dataDir string, enabled bool) error { return nil }
