package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Format 1 stores an item as the API shows it: {"id","name","value"}. Both
// builds know it: the default build stores items so, the v2 build migrates
// them (format_v2.go).

// encodeV1 returns the format 1 file of it.
func encodeV1(it item) ([]byte, error) { return json.Marshal(it) }

// decodeV1 reads a format 1 file. Unknown fields are an error, so a file of
// another format is refused rather than read as an empty item.
func decodeV1(data []byte) (item, error) {
	var it item
	if err := decodeStrict(data, &it); err != nil {
		return item{}, fmt.Errorf("not a format 1 item: %v", err)
	}
	return it, nil
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}
