package userdb

import "encoding/json"

// CustomDataLimits bound the shape of a custom-data object. Free-form
// custom data is written by clients; without bounds a user stored an object
// nested 9,000 levels deep (54 KB) whose indented rendering in the console
// took 162 MB. Zero means no bound.
type CustomDataLimits struct {
	MaxDepth int // deepest nesting of objects and lists; {"a": 1} is 1
	MaxKeys  int // keys and list items, counted at every level
	MaxSize  int // bytes of the object as compact JSON
}

// StoredCustomDataLimits are the ceilings every custom data of a user, an
// account or a role keeps, whatever the configuration says.
var StoredCustomDataLimits = CustomDataLimits{MaxDepth: 32, MaxSize: MaxCustomDataLen}

// Check returns an EINVALID error on field customData when m exceeds a
// bound. The walk stops at the first bound crossed, so its cost is bounded
// by the limits, not by the input.
func (l CustomDataLimits) Check(m map[string]any) error {
	if m == nil {
		return nil
	}
	keys := 0
	var walk func(v any, depth int) error
	walk = func(v any, depth int) error {
		var children []any
		switch v := v.(type) {
		case map[string]any:
			for _, c := range v {
				children = append(children, c)
			}
		case []any:
			children = v
		default:
			return nil
		}
		if l.MaxDepth > 0 && depth > l.MaxDepth {
			return FieldError("customData", "customData is nested too deeply: at most %d levels of objects and lists.", l.MaxDepth)
		}
		keys += len(children)
		if l.MaxKeys > 0 && keys > l.MaxKeys {
			return FieldError("customData", "customData has too many keys and list items: at most %d in all.", l.MaxKeys)
		}
		for _, c := range children {
			if err := walk(c, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(m, 1); err != nil {
		return err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return FieldError("customData", "customData must be a JSON object")
	}
	if l.MaxSize > 0 && len(b) > l.MaxSize {
		return FieldError("customData", "customData must be at most %d bytes as JSON.", l.MaxSize)
	}
	return nil
}
