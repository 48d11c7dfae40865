package datasets

import (
	"fmt"
	"math"
	"slices"

	"github.com/klcourse/klcourse/internal/rng"
)

// Images is a labelled set of images held in memory, as the files store them:
// one byte per pixel and channel (0 = black, 255 = full intensity).
//
// Image i occupies Pixels[i*Size() : (i+1)*Size()], laid out row by row, each
// pixel's channels adjacent (height × width × channels, the NHWC layout that
// GoMLX's convolutions expect). Labels[i] is its class, an index into Classes.
//
// The methods that select images (Subset, Head, Shuffled, Split, RandomSplit)
// return new Images that share no memory with the receiver, so that one can be
// changed without the other.
type Images struct {
	Name                    string // for messages and plots: "mnist/train", "cifar10/test"
	Height, Width, Channels int
	Pixels                  []uint8
	Labels                  []uint8
	Classes                 []string // class names, in label order
}

// Len returns the number of images.
func (s *Images) Len() int { return len(s.Labels) }

// Size returns the number of bytes of one image, Height·Width·Channels.
func (s *Images) Size() int { return s.Height * s.Width * s.Channels }

// NumClasses returns the number of classes, len(Classes).
func (s *Images) NumClasses() int { return len(s.Classes) }

// Image returns the bytes of image i (a view into Pixels, not a copy).
func (s *Images) Image(i int) []uint8 {
	n := s.Size()
	return s.Pixels[i*n : (i+1)*n : (i+1)*n]
}

// Check reports whether s is consistent: positive dimensions, len(Pixels) =
// Len()·Size(), and every label a valid class index.
func (s *Images) Check() error {
	if s.Height <= 0 || s.Width <= 0 || s.Channels <= 0 {
		return fmt.Errorf("%s: image dimensions must be positive, found %d×%d×%d", s.Name, s.Height, s.Width, s.Channels)
	}
	if len(s.Pixels) != s.Len()*s.Size() {
		return fmt.Errorf("%s: %d labels need %d pixel bytes (%d×%d×%d each), found %d",
			s.Name, s.Len(), s.Len()*s.Size(), s.Height, s.Width, s.Channels, len(s.Pixels))
	}
	if len(s.Classes) == 0 {
		return fmt.Errorf("%s: no class names", s.Name)
	}
	for i, l := range s.Labels {
		if int(l) >= len(s.Classes) {
			return fmt.Errorf("%s: label of image %d is %d, but there are only %d classes", s.Name, i, l, len(s.Classes))
		}
	}
	return nil
}

// Subset returns the images at the given indices, in that order (an index may
// repeat). It panics if an index is out of range, as slice indexing does.
func (s *Images) Subset(indices []int) *Images {
	n := s.Size()
	out := s.empty(len(indices))
	for k, i := range indices {
		if i < 0 || i >= s.Len() {
			panic(fmt.Sprintf("datasets: Subset of %s: index %d out of range [0, %d)", s.Name, i, s.Len()))
		}
		copy(out.Pixels[k*n:(k+1)*n], s.Pixels[i*n:(i+1)*n])
		out.Labels[k] = s.Labels[i]
	}
	return out
}

// Head returns the first n images (all of them if n >= Len()).
func (s *Images) Head(n int) *Images {
	return s.Subset(firstN(min(max(n, 0), s.Len())))
}

// Shuffled returns the images in a random order determined by seed.
func (s *Images) Shuffled(seed uint64) *Images {
	return s.Subset(rng.New(seed, streamShuffle).Perm(s.Len()))
}

// Split holds out the last fraction of the images for validation, the way
// Keras's fit(validation_split=fraction) does: before any shuffling,
//
//	train = images[:k], validation = images[k:], with k = ⌊Len()·(1 − fraction)⌋.
//
// (k is computed in float64 exactly as Keras computes it, so the two agree
// image for image.) It fails unless 0 < fraction < 1 and both parts are non-empty.
func (s *Images) Split(fraction float64) (train, validation *Images, err error) {
	k, err := splitPoint(s.Len(), fraction)
	if err != nil {
		return nil, nil, fmt.Errorf("datasets: Split of %s: %w", s.Name, err)
	}
	return s.Subset(firstN(k)), s.Subset(rangeFrom(k, s.Len())), nil
}

// RandomSplit holds out a random subset of the images for validation, as many
// as Split(fraction) holds out, chosen by seed. Both parts keep the images in
// their original relative order.
func (s *Images) RandomSplit(fraction float64, seed uint64) (train, validation *Images, err error) {
	k, err := splitPoint(s.Len(), fraction)
	if err != nil {
		return nil, nil, fmt.Errorf("datasets: RandomSplit of %s: %w", s.Name, err)
	}
	perm := rng.New(seed, streamSplit).Perm(s.Len())
	trainIdx, valIdx := perm[:k], perm[k:]
	slices.Sort(trainIdx)
	slices.Sort(valIdx)
	return s.Subset(trainIdx), s.Subset(valIdx), nil
}

func splitPoint(n int, fraction float64) (int, error) {
	if !(fraction > 0 && fraction < 1) {
		return 0, fmt.Errorf("validation fraction must be in (0, 1), found %v", fraction)
	}
	// Keras: split_at = int(math.floor(batch_dim * (1.0 - validation_split))).
	k := int(math.Floor(float64(n) * (1.0 - fraction)))
	if k == 0 || k == n {
		return 0, fmt.Errorf("validation fraction %v of %d images leaves %d for training and %d for validation; both must be non-empty",
			fraction, n, k, n-k)
	}
	return k, nil
}

// ClassCounts returns how many images each class has, indexed by label.
func (s *Images) ClassCounts() []int {
	counts := make([]int, s.NumClasses())
	for _, l := range s.Labels {
		counts[l]++
	}
	return counts
}

// ClassName returns the name of class label, or its number when s has no name for it.
func (s *Images) ClassName(label int) string {
	if label >= 0 && label < len(s.Classes) {
		return s.Classes[label]
	}
	return fmt.Sprint(label)
}

// empty returns Images like s with room for n images.
func (s *Images) empty(n int) *Images {
	return &Images{
		Name:   s.Name,
		Height: s.Height, Width: s.Width, Channels: s.Channels,
		Pixels:  make([]uint8, n*s.Size()),
		Labels:  make([]uint8, n),
		Classes: slices.Clone(s.Classes),
	}
}

// Streams of the course's generator (internal/rng) for the random choices of
// this package, so that a shuffle and a split with the same seed differ.
const (
	streamShuffle = 1 + iota
	streamSplit
	streamBatches
	streamSample
)

// firstN returns 0, 1, …, n−1.
func firstN(n int) []int { return rangeFrom(0, n) }

func rangeFrom(lo, hi int) []int {
	r := make([]int, hi-lo)
	for i := range r {
		r[i] = lo + i
	}
	return r
}
