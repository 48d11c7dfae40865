package datasets

import (
	"math"
	"slices"
	"testing"
)

// indexedImages returns n 2×1×2 images whose bytes encode their index
// (low byte, high byte in each pixel), labels index mod 10.
func indexedImages(n int) *Images {
	s := &Images{Name: "indexed", Height: 2, Width: 1, Channels: 2, Classes: MNISTClasses}
	for i := range n {
		s.Pixels = append(s.Pixels, byte(i), byte(i>>8), byte(255-i), byte(i>>8))
		s.Labels = append(s.Labels, byte(i%10))
	}
	return s
}

// indexOf recovers the index that indexedImages encoded in image i of s.
func indexOf(s *Images, i int) int {
	img := s.Image(i)
	return int(img[0]) | int(img[1])<<8
}

func indicesOf(s *Images) []int {
	out := make([]int, s.Len())
	for i := range out {
		out[i] = indexOf(s, i)
	}
	return out
}

func TestSplitFollowsKeras(t *testing.T) {
	for _, tc := range []struct {
		n        int
		fraction float64
	}{{4000, 0.4}, {50000, 0.4}, {10, 0.33}, {7, 0.5}, {60000, 0.1}, {3, 0.5}} {
		s := indexedImages(tc.n)
		train, val, err := s.Split(tc.fraction)
		if err != nil {
			t.Fatal(err)
		}
		// Keras: split_at = int(math.floor(n * (1.0 - validation_split))).
		k := int(math.Floor(float64(tc.n) * (1.0 - tc.fraction)))
		if !slices.Equal(indicesOf(train), rangeFrom(0, k)) || !slices.Equal(indicesOf(val), rangeFrom(k, tc.n)) {
			t.Errorf("Split(%v) of %d: got %d training and %d validation images, want the first %d and the rest",
				tc.fraction, tc.n, train.Len(), val.Len(), k)
		}
	}
	for _, fraction := range []float64{0, 1, -0.1, 1.5, math.NaN()} {
		if _, _, err := indexedImages(100).Split(fraction); err == nil {
			t.Errorf("Split(%v) succeeded, want an error", fraction)
		}
	}
	if _, _, err := indexedImages(3).Split(0.9); err == nil {
		t.Error("Split(0.9) of 3 images leaves no training image (⌊3·0.1⌋ = 0) but succeeded")
	}
}

func TestRandomSplit(t *testing.T) {
	s := indexedImages(1000)
	train, val, err := s.RandomSplit(0.25, 7)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 750 || val.Len() != 250 {
		t.Fatalf("sizes %d + %d, want 750 + 250 as Split gives", train.Len(), val.Len())
	}
	all := append(indicesOf(train), indicesOf(val)...)
	if !slices.IsSorted(indicesOf(train)) || !slices.IsSorted(indicesOf(val)) {
		t.Error("the parts are not in their original order")
	}
	slices.Sort(all)
	if !slices.Equal(all, rangeFrom(0, 1000)) {
		t.Error("the parts are not a partition of the images")
	}
	_, again, _ := s.RandomSplit(0.25, 7)
	_, other, _ := s.RandomSplit(0.25, 8)
	if !slices.Equal(indicesOf(val), indicesOf(again)) {
		t.Error("the same seed chose different validation images")
	}
	if slices.Equal(indicesOf(val), indicesOf(other)) {
		t.Error("different seeds chose the same validation images")
	}
	if slices.Equal(indicesOf(val), rangeFrom(750, 1000)) {
		t.Error("the random split held out the last images, like Split")
	}
}

func TestShuffledAndSubset(t *testing.T) {
	s := indexedImages(500)
	a, b, c := s.Shuffled(1), s.Shuffled(1), s.Shuffled(2)
	if !slices.Equal(indicesOf(a), indicesOf(b)) {
		t.Error("the same seed gave different orders")
	}
	if slices.Equal(indicesOf(a), indicesOf(c)) || slices.Equal(indicesOf(a), rangeFrom(0, 500)) {
		t.Error("different seeds gave the same order, or the order is unchanged")
	}
	got := indicesOf(a)
	for i, idx := range got {
		if a.Labels[i] != byte(idx%10) {
			t.Fatalf("image %d (originally %d) has label %d, want %d: labels were not moved with their images", i, idx, a.Labels[i], idx%10)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, rangeFrom(0, 500)) {
		t.Error("the shuffle is not a permutation")
	}
	sub := s.Subset([]int{3, 3, 0})
	if !slices.Equal(indicesOf(sub), []int{3, 3, 0}) {
		t.Errorf("Subset gave %v", indicesOf(sub))
	}
	sub.Pixels[0] = 99
	if s.Pixels[3*s.Size()] == 99 {
		t.Error("Subset shares memory with its source")
	}
	if h := s.Head(10); !slices.Equal(indicesOf(h), rangeFrom(0, 10)) {
		t.Errorf("Head(10) gave %v", indicesOf(h))
	}
}

func TestClassCountsAndCheck(t *testing.T) {
	s := indexedImages(25)
	if got, want := s.ClassCounts(), []int{3, 3, 3, 3, 3, 2, 2, 2, 2, 2}; !slices.Equal(got, want) {
		t.Errorf("ClassCounts %v, want %v", got, want)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
	s.Labels[4] = 10
	if err := s.Check(); err == nil {
		t.Error("Check accepted label 10 of 10 classes")
	}
}
