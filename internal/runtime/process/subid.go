package process

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Files of subordinate ids, as shadow's newuidmap and newgidmap read them.
const (
	subUIDFile = "/etc/subuid"
	subGIDFile = "/etc/subgid"
)

// errNoSubIDs: the subordinate-id file has no range for the user.
var errNoSubIDs = errors.New("no range for the user")

// subIDRange reads the first range of the user (by name or by number) from a
// subordinate-id file: lines "user:first:count".
func subIDRange(path, name string, id uint32) (IDRange, error) {
	f, err := os.Open(path)
	if err != nil {
		return IDRange{}, err
	}
	defer f.Close()
	r, err := parseSubIDs(f, name, strconv.FormatUint(uint64(id), 10))
	if err != nil {
		return IDRange{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// parseSubIDs finds the first range of the user named name or numbered id; a
// malformed line is an error, as it would make newuidmap refuse.
func parseSubIDs(in io.Reader, name, id string) (IDRange, error) {
	sc := bufio.NewScanner(in)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, ":")
		if len(fields) != 3 || (fields[0] != name && fields[0] != id) {
			continue
		}
		first, err1 := strconv.ParseUint(fields[1], 10, 32)
		count, err2 := strconv.ParseUint(fields[2], 10, 32)
		if err1 != nil || err2 != nil || first == 0 || count == 0 || first+count-1 >= 1<<32-1 {
			return IDRange{}, fmt.Errorf("line %d %q is not user:first:count", n, line)
		}
		return IDRange{First: uint32(first), Last: uint32(first + count - 1)}, nil
	}
	if err := sc.Err(); err != nil {
		return IDRange{}, err
	}
	return IDRange{}, errNoSubIDs
}
