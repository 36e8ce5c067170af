package process

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pkg/sftp"
)

// SFTPServerArg, as a berth binary's one argument, makes it an SFTP server on its
// stdin and stdout (SFTPServerMain): what Exec runs for SSH's sftp subsystem.
const SFTPServerArg = "sftp-server"

// SFTPServerMain serves SFTP (github.com/pkg/sftp) on stdin and stdout, in the
// working directory, as the user it runs as, until the client leaves; it returns
// the exit code.
func SFTPServerMain() int {
	dir, err := os.Getwd()
	if err != nil {
		dir = "/"
	}
	rw := struct {
		io.Reader
		io.WriteCloser
	}{os.Stdin, os.Stdout}
	srv, err := sftp.NewServer(rw, sftp.WithServerWorkingDirectory(dir))
	if err != nil {
		fmt.Fprintln(os.Stderr, "sftp-server:", err)
		return 1
	}
	if err := srv.Serve(); err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(os.Stderr, "sftp-server:", err)
		return 1
	}
	return 0
}
