package profile

import (
	"math"
	"strconv"
	"strings"
)

// FromText converts the text of a spreadsheet cell or form field into the
// value the attribute name holds: numbers and booleans are parsed, anything
// else stays text. Check still validates the result; a number that does not
// parse stays text so that Check names the field.
func (s *Schema) FromText(name, text string) any {
	if s == nil {
		return text
	}
	for _, a := range s.Attributes {
		if a.Name != name {
			continue
		}
		switch a.Type {
		case Integer, Number:
			// "NaN" and "Inf" parse, but are no numbers JSON can hold.
			if f, err := strconv.ParseFloat(strings.TrimSpace(text), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
				return f
			}
		case Boolean:
			switch strings.ToLower(strings.TrimSpace(text)) {
			case "true", "yes", "1", "on":
				return true
			case "false", "no", "0", "off":
				return false
			}
		}
		return text
	}
	return text
}
