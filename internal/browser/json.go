package browser

import "encoding/json"

func jsonUnmarshal(data []byte, out any) error { return json.Unmarshal(data, out) }
