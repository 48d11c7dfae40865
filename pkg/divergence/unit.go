package divergence

import (
	"fmt"
	"math"
)

// Unit is the unit of information a divergence or entropy is reported in,
// that is the base of the logarithm in its definition. The zero Unit is Nats.
type Unit int

const (
	// Nats uses the natural logarithm.
	Nats Unit = iota
	// Bits uses the base-2 logarithm: a value in bits is the value in nats
	// divided by ln 2.
	Bits
)

// String returns "nats" or "bits".
func (u Unit) String() string {
	switch u {
	case Nats:
		return "nats"
	case Bits:
		return "bits"
	}
	return fmt.Sprintf("Unit(%d)", int(u))
}

// FromNats converts x, a quantity in nats, to the unit u. It returns NaN for
// a Unit other than Nats or Bits.
func (u Unit) FromNats(x float64) float64 {
	switch u {
	case Nats:
		return x
	case Bits:
		return x / math.Ln2
	}
	return math.NaN()
}

// check reports an error for a Unit other than Nats and Bits.
func (u Unit) check() error {
	if u != Nats && u != Bits {
		return fmt.Errorf("divergence: unit is %v; want divergence.Nats or divergence.Bits", u)
	}
	return nil
}
