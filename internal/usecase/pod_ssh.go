package usecase

import (
	"fmt"
	"strconv"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/workload"
)

// SSHEndpoint is where users reach the SSH server (package sshserver).
type SSHEndpoint struct {
	Host string
	Port int
}

// podSSH fills the running pods' sshAddr, in seed 000's form, and sshCommand for the
// caller: `ssh <userId>.<podId>.<workspaceId>@<host>` (with ` -p <port>` when it is
// not 22), and the command line naming the container and shell. Without an SSH
// server both stay empty.
func (s *Service) podSSH(d *apiv1.WorkloadDetail, caller *auth.User, w *workload.Workload) {
	e := s.SSH
	if e == nil {
		return
	}
	port := ""
	if e.Port != 22 {
		port = " -p " + strconv.Itoa(e.Port)
	}
	for i := range d.Pods {
		p := &d.Pods[i]
		if p.Phase != workload.PodRunning {
			continue
		}
		p.SSHAddr = fmt.Sprintf("ssh %s.%s.%s@%s%s", caller.ID, p.PodID, w.Workspace(), e.Host, port)
		p.SSHCommand = fmt.Sprintf("ssh -p %d %s.%s.%s.bash@%s", e.Port, caller.ID, p.PodID,
			workload.MainContainer(w.Kind()), e.Host)
	}
}

// Envs answers the public GET /api/v1/envs: what the console may offer.
func (s *Service) Envs() apiv1.Envs {
	env := apiv1.Envs{EnableLog: true}
	if s.SSH != nil {
		env.EnableSSH, env.SSHIP, env.SSHPort = true, s.SSH.Host, s.SSH.Port
	}
	return env
}
