package redact

import "reflect"

// plainString is the one string type Value masks.
var plainString = reflect.TypeFor[string]()

// Value masks, in place, every plain string reachable from ptr: struct fields,
// slice and array elements, map values, through pointers. A results model
// is masked this way before it is encoded, so that masking never touches
// the syntax of JSON or XML (a secret spelled like a tag name or a
// quote would otherwise break the file), and a string field added later is
// masked without anyone remembering to.
func (r *Redactor) Value(ptr any) {
	r.walk(reflect.ValueOf(ptr))
}

func (r *Redactor) walk(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			r.walk(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				r.walk(f)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			r.walk(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		iter := v.MapRange()
		for iter.Next() {
			e := reflect.New(iter.Value().Type()).Elem()
			e.Set(iter.Value())
			r.walk(e)
			v.SetMapIndex(iter.Key(), e)
		}
	case reflect.String:
		// Only plain strings: a named string type (results.Status) is
		// one of our own words, and masking it would change its meaning.
		if v.CanSet() && v.Type() == plainString {
			v.SetString(r.String(v.String()))
		}
	}
}
